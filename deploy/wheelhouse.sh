#!/usr/bin/env bash
# Offline install kit for a server without internet (LGWAN).
#
#   On a connected machine with the same Debian release and Python 3.11 as the server:
#     deploy/wheelhouse.sh build KIT_DIR
#       KIT_DIR/wheels/*.whl        every dependency as a wheel (built here when PyPI has only a source)
#       KIT_DIR/requirements.txt    the exact versions of those wheels (name==version)
#       KIT_DIR/auditreg-src.tar.gz the application (this checkout's committed HEAD)
#   Carry KIT_DIR to the server (USB medium, file transfer as the city's rules allow), then:
#     deploy/wheelhouse.sh install KIT_DIR VENV_DIR
#       python3.11 -m venv VENV_DIR, then pip install --no-index --find-links KIT_DIR/wheels:
#       no package index and no pip configuration is used, only the kit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

build() {
  local kit=$1
  mkdir -p "$kit/wheels"
  kit=$(cd "$kit" && pwd)
  # the runtime dependencies from pyproject.toml (not the dev tools)
  "$PYTHON" - "$here/pyproject.toml" > "$kit/dependencies.txt" <<'PY'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
  "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$kit/wheels" -r "$kit/dependencies.txt"
  # pin exactly what was fetched: name==version from each wheel's file name
  for w in "$kit"/wheels/*.whl; do
    base=$(basename "$w")
    echo "${base%%-*}==$(echo "$base" | cut -d- -f2)"
  done | sort -f > "$kit/requirements.txt"
  if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$here" archive --format=tar.gz --prefix=auditreg/ -o "$kit/auditreg-src.tar.gz" HEAD
  else
    tar -C "$here/.." --exclude=.venv --exclude=var --exclude='db.sqlite3' --exclude='__pycache__' \
      -czf "$kit/auditreg-src.tar.gz" "$(basename "$here")"
  fi
  echo "kit: $kit ($(ls "$kit/wheels" | wc -l) wheels, $(du -sh "$kit" | cut -f1))"
}

install() {
  local kit=$1 venv=$2
  # nothing but the kit: forget any index, find-links or constraint the machine's pip is configured with
  while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p')
  export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-index --find-links "$kit/wheels" -r "$kit/requirements.txt"
  echo "installed into $venv: $("$venv/bin/python" -m pip list --format=freeze | wc -l) packages, from $kit/wheels only"
}

case "${1:-}" in
  build) build "${2:?usage: wheelhouse.sh build KIT_DIR}" ;;
  install) install "${2:?usage: wheelhouse.sh install KIT_DIR VENV_DIR}" "${3:?usage: wheelhouse.sh install KIT_DIR VENV_DIR}" ;;
  *) echo "usage: $0 build KIT_DIR | install KIT_DIR VENV_DIR" >&2; exit 2 ;;
esac
