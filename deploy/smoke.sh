#!/usr/bin/env bash
# Production smoke test (CI: .ci/run). What an IT officer does with the kit, on loopback:
#   build the wheelhouse, install it into a fresh venv with no index, unpack the application,
#   migrate and import the report on a fresh PostgreSQL database, collectstatic, start gunicorn with
#   the production settings and Debian's nginx with deploy/nginx/auditreg.conf and a self-signed
#   certificate, then deploy/smoke_check.py: login over HTTPS, a page and its CSS, uploads near and
#   over the limit, security headers, no version in Server, lockout through the proxy.
# Everything it starts is stopped and everything it makes is removed, also on failure (trap).
# SMOKE_DATABASE_URL: the scratch database (dropped and created); SMOKE_KIT: reuse a built kit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
db_url=${SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/auditreg_smoke}
db=${db_url##*/}
admin_url=${db_url%/*}/postgres
# in memory when /dev/shm is there (a venv is thousands of small files: removing it from a busy disk took a minute)
tmp_base=${SMOKE_TMP:-/dev/shm}
[ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base=/tmp
work=$(mktemp -d "$tmp_base/auditreg-smoke.XXXXXX")
chmod 755 "$work"  # nginx's worker (not root) reads the static files below it
pids=()
started=$(date +%s)
step() { echo "-- [$(( $(date +%s) - started ))s] $*"; }

cleanup() {
  local rc=$?
  # SIGINT: gunicorn's quick shutdown (SIGTERM would wait graceful_timeout); nginx's fast shutdown
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo "smoke test FAILED (exit $rc); last lines of the logs:" >&2
    tail -n 30 "$work"/gunicorn.log "$work"/nginx-error.log 2>/dev/null >&2 || true
  fi
  local t=$(date +%s)
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
  local t2=$(date +%s)
  rm -rf "$work"
  echo "smoke test: dropped the database in $((t2 - t))s, removed $work in $(( $(date +%s) - t2 ))s"
  echo "smoke test: cleaned up after $(( $(date +%s) - started ))s"
}
trap cleanup EXIT

nginx=$(command -v nginx || echo /usr/sbin/nginx)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "wheelhouse: build (connected side)"
if [ -n "${SMOKE_KIT:-}" ]; then kit=$SMOKE_KIT; else kit=$work/kit; "$here/deploy/wheelhouse.sh" build "$kit" 2>&1 | grep -v "^WARNING: Location"; fi

step "wheelhouse: install into a fresh venv with --no-index (closed side)"
"$here/deploy/wheelhouse.sh" install "$kit" "$work/venv"
tar -C "$work" -xzf "$kit/auditreg-src.tar.gz"
app=$work/auditreg

step "database, migrate, import, collectstatic (production settings)"
psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\"" -qc "CREATE DATABASE \"$db\" ENCODING 'UTF8' TEMPLATE template0"
https_port=$(free_port); http_port=$(free_port); app_port=$(free_port)
# the server's settings file, made from the kit's example as docs/install.md (step 5) says
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(60))')
sed -e "s#^SECRET_KEY=.*#SECRET_KEY=$secret#" \
    -e "s#^DATABASE_URL=.*#DATABASE_URL=$db_url#" \
    -e "s#^ALLOWED_HOSTS=.*#ALLOWED_HOSTS=localhost#" \
    -e "s#^CSRF_TRUSTED_ORIGINS=.*#CSRF_TRUSTED_ORIGINS=https://localhost:$https_port#" \
    -e "s#/var/lib/auditreg/#$work/#" \
    -e "s#^BACKUP_DIR=.*#BACKUP_DIR=$work/backups#" \
    "$here/deploy/auditreg.env.example" > "$work/auditreg.env"
printf 'GUNICORN_BIND=127.0.0.1:%s\nGUNICORN_WORKERS=2\n' "$app_port" >> "$work/auditreg.env"
if grep -q "=CHANGE" "$work/auditreg.env"; then echo "a value marked CHANGE was left" >&2; exit 1; fi
mkdir -p "$work/static" "$work/evidence" "$work/publications"
set -a; . "$work/auditreg.env"; set +a
# deploy/manage.sh as the IT officer runs it (here as the current user, not the auditreg system user)
export AUDITREG_ENV_FILE=$work/auditreg.env AUDITREG_APP=$app AUDITREG_VENV=$work/venv AUDITREG_USER=$(id -un)
manage="$app/deploy/manage.sh"
py=$work/venv/bin/python
cd "$app"
$manage check --deploy --fail-level WARNING
$manage migrate --noinput -v0
$manage import_report fixtures/kanazawa-2024-dx | tail -n 1
$manage collectstatic --noinput -v0
SMOKE_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
export SMOKE_PASSWORD
$manage shell -c "
import os
from auditreg.models import User
for name, last in (('smoke-auditor', '点検'), ('smoke-other', '別端末')):
    User.objects.create_user(name, password=os.environ['SMOKE_PASSWORD'], role='auditor', last_name=last)
"

step "gunicorn (production settings) and nginx (the kit's site file, self-signed certificate)"
"$work/venv/bin/gunicorn" --config deploy/gunicorn.conf.py auditreg.wsgi:application > "$work/gunicorn.log" 2>&1 &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
sed -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$https_port ssl http2;#" \
    -e '/listen \[::\]/d' \
    -e "s#server_name auditreg.city.lg.jp;#server_name localhost;#" \
    -e "s#/etc/auditreg/tls/auditreg.crt#$work/tls.crt#" \
    -e "s#/etc/auditreg/tls/auditreg.key#$work/tls.key#" \
    -e "s#/var/lib/auditreg/static/#$work/static/#" \
    -e "s#http://127.0.0.1:8000#http://127.0.0.1:$app_port#" \
    "$here/deploy/nginx/auditreg.conf" > "$work/site.conf"
grep -q "$https_port ssl" "$work/site.conf" && grep -q "$app_port" "$work/site.conf"  # every substitution took
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $work/nginx-access.log;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    fastcgi_temp_path $work/nginx-fastcgi;
    uwsgi_temp_path $work/nginx-uwsgi;
    scgi_temp_path $work/nginx-scgi;
    include $work/site.conf;
}
NGINX
"$nginx" -t -q -c "$work/nginx.conf" -p "$work"
"$nginx" -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
pids+=($!)
python3 - "$https_port" "$app_port" <<'PY'  # wait until nginx and gunicorn both answer (60 s at most)
import socket, sys, time
deadline = time.monotonic() + 60
for port in map(int, sys.argv[1:]):
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        if time.monotonic() > deadline:
            sys.exit(f"port {port} did not open")
        time.sleep(0.2)
PY

step "backup (deploy/backup.sh, as auditreg-backup.timer runs it)"
"$app/deploy/backup.sh"
# the whole listing into grep (not grep -q: it stops reading, and pipefail turns the SIGPIPE into a failure)
pg_restore --list "$(ls "$work"/backups/auditreg-*.dump)" | grep -c "TABLE DATA public findings_finding" >/dev/null

step "checks over HTTPS"
python3 "$here/deploy/smoke_check.py" --https-port "$https_port" --http-port "$http_port" --app-port "$app_port" \
  --cafile "$work/tls.crt" --css "$app/static/css/app.css" --fixtures "$app/fixtures/kanazawa-2024-dx"
step "smoke test passed"
