#!/usr/bin/env bash
# Create (or reuse) the virtualenv for the Python integration tests.
#
#   venv:     ${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}/venv
#   installs: python-tests/requirements.txt, only again when that file changes
#             (its sha256 is stored in the venv as .requirements.sha256)
#
# Prints the venv's python interpreter as the last line of stdout, so callers can do
#   PYTHON="$(dev/python-env.sh | tail -n1)"
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$repo_root/python-tests/requirements.txt"
venv="${TREBUCHET_CACHE:-$HOME/.cache/trebuchet}/venv"
python="$venv/bin/python"
stamp="$venv/.requirements.sha256"

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [[ ! -x "$python" ]]; then
    echo "python-env: creating virtualenv at $venv" >&2
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2
fi

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "python-env: installing $requirements" >&2
    rm -f "$stamp"
    "$python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$wanted" > "$stamp"
else
    echo "python-env: $venv is up to date" >&2
fi

echo "$python"
