#!/usr/bin/env bash
# Peak memory of executor processes under a memory pool: starts `trebuchet scheduler` and two
# `trebuchet executor --memory-pool-size SIZE` processes on loopback over the tables in DATA,
# runs the 22 TPC-H queries once through `tpch run --url`, and prints each executor's peak
# resident set (VmHWM).
#
#   benchmarks/executor_memory.sh DATA [SIZE] [SCALE]      e.g. /tmp/tpch-sf10 2GB 10
#
# Uses the release build in $CARGO_TARGET_DIR (default ~/.cache/trebuchet/target).
set -euo pipefail
data="${1:?usage: executor_memory.sh DATA [SIZE] [SCALE]}"
size="${2:-2GB}"
scale="${3:-10}"
target="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}/release"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

tables=()
for table in customer lineitem nation orders part partsupp region supplier; do
  tables+=("--table=$table=$data/$table")
done
"$target/trebuchet" scheduler --host 127.0.0.1 --port 0 --tpch-scale 0 --work-dir "$work/scheduler" \
  "${tables[@]}" > "$work/scheduler.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 300); do
  port="$(grep -oE 'grpc://127\.0\.0\.1:[0-9]+' "$work/scheduler.log" | head -n 1 | cut -d: -f3 || true)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/scheduler.log"; echo "the scheduler did not start" >&2; exit 1; }

executors=()
for index in 0 1; do
  "$target/trebuchet" executor --scheduler-url "http://127.0.0.1:$port" --host 127.0.0.1 --port 0 \
    --work-dir "$work/executor-$index" --memory-pool-size "$size" \
    --cluster-token-file "$work/scheduler/cluster-token" > "$work/executor-$index.log" 2>&1 &
  pids+=($!)
  executors+=($!)
done

"$target/tpch" run --url "grpc://127.0.0.1:$port" --engine trebuchet --data "$data" --scale "$scale" \
  --iterations 1 --output "$work/run.json" | tail -n 3

for pid in "${executors[@]}"; do
  peak_kb="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
  echo "executor pid $pid: peak RSS $((peak_kb / 1024)) MiB with --memory-pool-size $size"
done
