"""Query latency over Flight SQL (ADBC): p50 and p99 of `SELECT 1`, of a point lookup with a
bound parameter and of a two-stage aggregate on a tiny table, against Trebuchet standalone
(release build recommended).

    ~/.cache/trebuchet/venv/bin/python benchmarks/latency.py \
        --binary ~/.cache/trebuchet/target/release/trebuchet --iterations 200

Each query is timed from `execute` to the last batch fetched, on one connection, after a
warm-up, twice: with a new cursor per query (ADBC then prepares the statement and closes it
every time: four or five calls) and with one cursor reused, as a dashboard re-running its
queries or an application binding new parameters does (ADBC prepares once, so a query is
`GetFlightInfo` and `DoGet`, after a `DoPut` of the parameters). `--scheduler-policy` picks
the standalone server's task delivery.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql

from standalone import running_standalone

# name -> (SQL, parameters); a statement with parameters is prepared and bound by ADBC.
QUERIES = {
    "SELECT 1": ("SELECT 1", None),
    "point lookup (bound)": ("SELECT n_name FROM nation WHERE n_nationkey = ?", (7,)),
    "two-stage aggregate": ("SELECT n_regionkey, count(*) AS n FROM nation GROUP BY n_regionkey", None),
}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--scheduler-policy", default="pull-staged", choices=["pull-staged", "push-staged"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trebuchet-latency-") as work_dir:
        with running_standalone(args.binary, ["--tpch-scale", "0.01", "--work-dir", work_dir,
                                              "--scheduler-policy", args.scheduler_policy]) as port:
            conn = flightsql.connect(f"grpc://127.0.0.1:{port}")
            print(f"{args.scheduler_policy}, {args.iterations} iterations")
            print(f"{'query':<22} {'cursor':<8} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
            for name, (sql, parameters) in QUERIES.items():
                for reused in (False, True):
                    samples = time_query(conn, sql, parameters, args.iterations, reused)
                    print(f"{name:<22} {'reused' if reused else 'new':<8} "
                          f"{percentile(samples, 0.5):8.2f} {percentile(samples, 0.99):8.2f} "
                          f"{statistics.mean(samples):8.2f}")
            conn.close()


def time_query(conn, sql: str, parameters, iterations: int, reused: bool) -> list[float]:
    """Milliseconds per run of `sql` after 10 warm-up runs, on a new cursor each time or on
    one cursor throughout."""
    samples = []
    cursor = conn.cursor() if reused else None
    try:
        for iteration in range(iterations + 10):
            started = time.perf_counter()
            if reused:
                cursor.execute(sql, parameters)
                cursor.fetch_arrow_table()
            else:
                with conn.cursor() as cur:
                    cur.execute(sql, parameters)
                    cur.fetch_arrow_table()
            if iteration >= 10:  # warm-up
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        if cursor is not None:
            cursor.close()
    return samples


if __name__ == "__main__":
    main()
