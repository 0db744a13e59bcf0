#!/usr/bin/env bash
# Builds (when needed) and runs `trebuchet` in the target directory dev/test.sh and CI use,
# so that starting a server and running the tests share one build of DataFusion:
#   dev/trebuchet.sh standalone
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"
exec cargo run --bin trebuchet -- "$@"
