#!/usr/bin/env bash
# A manage.py command on the server, as the auditreg user, with the server's settings
# (/etc/auditreg/auditreg.env), e.g.:  /opt/auditreg/app/deploy/manage.sh migrate
# deploy/smoke.sh runs it too (AUDITREG_ENV_FILE, AUDITREG_APP, AUDITREG_VENV, AUDITREG_USER point elsewhere).
set -euo pipefail
env_file=${AUDITREG_ENV_FILE:-/etc/auditreg/auditreg.env}
app=${AUDITREG_APP:-/opt/auditreg/app}
venv=${AUDITREG_VENV:-/opt/auditreg/venv}
user=${AUDITREG_USER:-auditreg}
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
cd "$app"
if [ "$(id -un)" = "$user" ]; then
  exec "$venv/bin/python" manage.py "$@"
fi
exec setpriv --reuid="$user" --regid="$user" --init-groups "$venv/bin/python" manage.py "$@"
