#!/usr/bin/env bash
# Smoke test of the benchmarks against the debug build: `tpch datagen` and `tpch run` at
# scale 0.01 with one iteration (the run fails if Trebuchet and DataFusion disagree on a
# query's row count), `compare.py` on the result, and the latency, streaming, small-query and
# skewed-join programs (the last two fail if an answer differs from DataFusion's).
# The timings mean nothing here and are not compared.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"
python="$("$repo_root/dev/python-env.sh" | tail -n 1)"
binary="$CARGO_TARGET_DIR/debug/trebuchet"
tpch="$CARGO_TARGET_DIR/debug/tpch"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$tpch" datagen --scale 0.01 --parts 2 --output "$scratch/data"
"$tpch" run --data "$scratch/data" --scale 0.01 --iterations 1 --output "$scratch/run.json"
"$python" "$repo_root/benchmarks/compare.py" "$scratch/run.json" "$scratch/run.json" > /dev/null
"$python" "$repo_root/benchmarks/latency.py" --binary "$binary" --iterations 5
"$python" "$repo_root/benchmarks/streaming.py" --binary "$binary" --tpch "$tpch" --scale 0.01 \
    --iterations 1 --data-dir "$scratch/data"
"$python" "$repo_root/benchmarks/small_queries.py" --binary "$binary" --iterations 2 --max-rows 50000
"$python" "$repo_root/benchmarks/skew_join.py" --binary "$binary" --rows 64000 --iterations 1 \
    --skew-threshold 16KiB --data-dir "$scratch/skew"
