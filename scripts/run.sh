#!/usr/bin/env bash
# One command for a first run: virtualenv, dependencies, SQLite database, the report imported,
# demo accounts (printed), then the development server on http://127.0.0.1:8000/ and the job worker beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-auditreg.settings.local}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py import_report fixtures/kanazawa-2024-dx | tail -n 1
.venv/bin/python manage.py seed_demo
ADDR=${ADDR:-127.0.0.1:8000}
# the worker for background jobs (large downloads, publishing) runs beside the server and stops with it
.venv/bin/python manage.py db_worker &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null' EXIT
echo
echo "auditreg: http://${ADDR}/ を開き、上のアカウントでログインしてください（終了は Ctrl+C）。"
.venv/bin/python manage.py runserver "$ADDR"
