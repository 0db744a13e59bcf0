#!/usr/bin/env bash
# Formatting and lints, exactly as CI checks them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
