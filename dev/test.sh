#!/usr/bin/env bash
# Runs every test suite: Rust unit and integration tests, then the real drivers
# (Python ADBC and flightsql-dbapi, Java Flight SQL client and JDBC) against the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"

echo "== building"
cargo build --workspace --all-targets

echo "== Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

echo "== Python driver tests (ADBC, flightsql-dbapi)"
dev/python-tests.sh

echo "== Java Flight SQL client and JDBC tests"
jdbc-tests/run.sh

echo "== Benchmark smoke test (TPC-H scale 0.01, timings not compared)"
dev/benchmark-smoke.sh

echo "== Deployment checks (Dockerfile, Helm chart, Kubernetes manifests, docker-compose.yml)"
dev/deploy-check.sh
