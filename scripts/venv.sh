# Sourced by run.sh and test.sh: the project's virtualenv (.venv, made with Python 3.11 where there is
# one) with the dependencies of pyproject.toml, the dev extras included.
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
