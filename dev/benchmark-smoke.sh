#!/usr/bin/env bash
# Smoke test of the benchmarks: TPC-H at scale 0.01, one iteration, against the debug
# binary. It checks that the programs run and that Trebuchet and DataFusion return the same
# row counts; the timings mean nothing here and are not compared.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"
python="$("$repo_root/dev/python-env.sh" | tail -n 1)"
binary="$CARGO_TARGET_DIR/debug/trebuchet"
data_dir="$(mktemp -d)"
trap 'rm -rf "$data_dir"' EXIT
"$python" "$repo_root/benchmarks/tpch_wall_time.py" --scale 0.01 --iterations 1 \
    --binary "$binary" --data-dir "$data_dir"
"$python" "$repo_root/benchmarks/latency.py" --binary "$binary" --iterations 5
