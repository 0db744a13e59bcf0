#!/usr/bin/env bash
# Run the Python integration tests (python-tests/) against the trebuchet binary.
#
#   dev/python-tests.sh [pytest args...]      e.g. dev/python-tests.sh -k sessions -x
#
# TREBUCHET_BIN             server binary (default: ${CARGO_TARGET_DIR:-~/.cache/trebuchet/target}/debug/trebuchet)
# TREBUCHET_CHROMIUM        Chromium for the web UI test (default: installed by dev/browser-env.sh)
# TREBUCHET_ARTIFACTS       where tests leave screenshots (default: target dir/test-artifacts)
# TREBUCHET_CACHE           where the virtualenv lives (default: ~/.cache/trebuchet), see dev/python-env.sh
# TREBUCHET_PYTEST_TIMEOUT  seconds before the whole run is stopped (default: 1800)
#
# Exits non-zero when a test fails, and also when pytest collected no test (its exit code 5).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$("$repo_root/dev/python-env.sh" | tail -n 1)"
# The web UI test drives Chromium; the REST API tests render stage graphs with Graphviz.
export TREBUCHET_CHROMIUM="${TREBUCHET_CHROMIUM:-$("$repo_root/dev/browser-env.sh" | tail -n 1)}"

export TREBUCHET_BIN="${TREBUCHET_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/debug/trebuchet}"
echo "python-tests: server binary $TREBUCHET_BIN" >&2

status=0
timeout --signal=INT --kill-after=30 "${TREBUCHET_PYTEST_TIMEOUT:-1800}" \
    "$python" -m pytest "$repo_root/python-tests" "$@" || status=$?

case "$status" in
    0) ;;
    5) echo "python-tests: pytest collected no tests; treating that as a failure" >&2; status=1 ;;
    124) echo "python-tests: timed out after ${TREBUCHET_PYTEST_TIMEOUT:-1800} s" >&2 ;;
esac
exit "$status"
