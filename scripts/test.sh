#!/usr/bin/env bash
# One command for the tests: virtualenv, dependencies, then lint, Django checks and pytest.
# DATABASE_URL selects the database (default: SQLite in memory); any pytest arguments pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
export DJANGO_SETTINGS_MODULE=auditreg.settings.test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py check
.venv/bin/python manage.py makemigrations --check --dry-run
# pytest-xdist: the tests on every core (PYTEST_WORKERS=2, or 0 for one process; `-n N` or
# `-p no:xdist` among the arguments wins). --dist loadgroup keeps the browser journeys on one worker
# (one live server; tests/browser/conftest.py).
workers=(-n "${PYTEST_WORKERS:-auto}" --dist loadgroup)
for arg in "$@"; do
  case $arg in
    -n | -n* | --numprocesses* | no:xdist) workers=() ;;
  esac
done
.venv/bin/python -m pytest "${workers[@]}" "$@"
