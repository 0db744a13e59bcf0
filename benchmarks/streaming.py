"""Result streaming: a full `lineitem` scan fetched by a Flight SQL client (ADBC) from
Trebuchet standalone, next to in-process DataFusion collecting the same scan from the same
Parquet files (`tpch datagen`). Prints rows/s and MB/s (Arrow in-memory bytes) for each, and their ratio.

    ~/.cache/trebuchet/venv/bin/python benchmarks/streaming.py --scale 1 \
        --binary ~/.cache/trebuchet/target/release/trebuchet
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import datafusion

from standalone import generate, running_standalone, tpch_flags

SQL = "SELECT * FROM lineitem"


def best_of(iterations: int, run) -> tuple[float, int, int]:
    best, rows, size = float("inf"), 0, 0
    for _ in range(iterations):
        started = time.perf_counter()
        table = run()
        best = min(best, time.perf_counter() - started)
        rows, size = table.num_rows, table.nbytes
    return best, rows, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1")
    parser.add_argument("--binary", type=Path, required=True, help="the trebuchet binary")
    parser.add_argument("--tpch", type=Path, default=None,
                        help="the tpch benchmark binary, for datagen (default: beside --binary)")
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--scheduler-policy", default="pull-staged", choices=["pull-staged", "push-staged"])
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    data = args.data_dir or Path(tempfile.gettempdir()) / f"trebuchet-tpch-data-sf{args.scale}"
    generate(args.tpch or args.binary.parent / "tpch", args.scale, data)
    ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(16))
    ctx.register_parquet("lineitem", str(data / "lineitem"))

    with tempfile.TemporaryDirectory(prefix="trebuchet-stream-") as work_dir:
        with running_standalone(args.binary, tpch_flags(data, args.executors, Path(work_dir),
                                                        args.scheduler_policy)) as port:
            conn = flightsql.connect(f"grpc://127.0.0.1:{port}")

            def over_flight():
                with conn.cursor() as cur:
                    cur.execute(SQL)
                    return cur.fetch_arrow_table()

            ours = best_of(args.iterations, over_flight)
            theirs = best_of(args.iterations, lambda: ctx.sql(SQL).to_arrow_table())
            conn.close()

    print(f"lineitem SF{args.scale}: {ours[1]:,} rows, best of {args.iterations}")
    for name, (seconds, rows, size) in [("trebuchet over Flight SQL", ours), ("datafusion collect", theirs)]:
        print(f"{name:<26} {seconds:7.2f} s {rows / seconds / 1e6:8.2f} M rows/s {size / seconds / 1e6:8.1f} MB/s")
    print(f"{'ratio':<26} {ours[0] / theirs[0]:7.2f}")


if __name__ == "__main__":
    main()
