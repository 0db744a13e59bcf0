"""Wall time of the 22 TPC-H queries: Trebuchet standalone (scheduler + executors, over
Flight SQL with ADBC) next to single-process DataFusion (the `datafusion` Python package,
same major version, same data, same target partitions), measured in one run.

The two engines alternate query by query, so a noisy machine slows both alike. Run it with
the project's venv (dev/python-env.sh):

    ~/.cache/trebuchet/venv/bin/python benchmarks/tpch_wall_time.py --scale 1 \
        --binary ~/.cache/trebuchet/target/release/trebuchet

It prints one line per query (milliseconds, best of --iterations) and the totals.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import datafusion

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]
QUERIES = Path(__file__).resolve().parent / "queries"
READY = re.compile(r"grpc://127\.0\.0\.1:(\d+)")


def generate(scale: str, out: Path) -> None:
    if all((out / f"{table}.parquet").exists() for table in TABLES):
        return
    out.mkdir(parents=True, exist_ok=True)
    cli = Path(sys.executable).parent / "tpchgen-cli"
    subprocess.run(
        [str(cli if cli.exists() else shutil.which("tpchgen-cli")), "parquet",
         "--scale-factor", scale, "--output-dir", str(out)],
        check=True,
    )


def statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def start_trebuchet(binary: Path, data: Path, executors: int, work_dir: Path, policy: str = "pull-staged"):
    """Standalone over the Parquet files in `data`; returns the process and its port."""
    tables = [f"--table={table}={data / f'{table}.parquet'}" for table in TABLES]
    return start_standalone(binary, ["--tpch-scale", "0", "--executors", str(executors),
                                     "--work-dir", str(work_dir), "--scheduler-policy", policy, *tables])


def start_standalone(binary: Path, flags: list[str]):
    """`trebuchet standalone` on a free loopback port with `flags`, once it is ready."""
    process = subprocess.Popen(
        [str(binary), "standalone", "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    port = None
    assert process.stdout is not None
    for line in process.stdout:
        match = READY.search(line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        raise SystemExit("trebuchet exited before it was ready")
    # Keep draining the log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, port


def run_trebuchet(conn, script: str) -> int:
    rows = 0
    for sql in statements(script):
        with conn.cursor() as cur:
            cur.execute(sql)
            rows += cur.fetch_arrow_table().num_rows
    return rows


def run_datafusion(ctx, script: str) -> int:
    return sum(ctx.sql(sql).to_arrow_table().num_rows for sql in statements(script))


def best_of(iterations: int, run) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(iterations):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return best * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1")
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--target-partitions", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--scheduler-policy", default="pull-staged", choices=["pull-staged", "push-staged"])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a session setting for Trebuchet, e.g. ballista.shuffle.sort_based.enabled=false")
    args = parser.parse_args()

    data = args.data_dir or Path(tempfile.gettempdir()) / f"trebuchet-tpch-sf{args.scale}"
    generate(args.scale, data)
    config = datafusion.SessionConfig().with_target_partitions(args.target_partitions)
    ctx = datafusion.SessionContext(config)
    for table in TABLES:
        ctx.register_parquet(table, str(data / f"{table}.parquet"))

    with tempfile.TemporaryDirectory(prefix="trebuchet-bench-") as work_dir:
        process, port = start_trebuchet(args.binary, data, args.executors, Path(work_dir), args.scheduler_policy)
        try:
            conn = flightsql.connect(f"grpc://127.0.0.1:{port}")
            settings = [f"datafusion.execution.target_partitions={args.target_partitions}", *args.set]
            for setting in settings:
                key, _, value = setting.partition("=")
                with conn.cursor() as cur:
                    cur.execute(f"SET {key.strip()} = '{value.strip()}'")
                    cur.fetchall()
            print(f"TPC-H scale {args.scale}, {args.executors} executors, "
                  f"target_partitions {args.target_partitions}, best of {args.iterations}, "
                  f"{args.scheduler_policy}, "
                  f"settings: {', '.join(args.set) or 'defaults'}")
            print(f"{'query':>5} {'trebuchet ms':>13} {'datafusion ms':>14} {'ratio':>6}")
            totals = [0.0, 0.0]
            for number in range(1, 23):
                script = (QUERIES / f"q{number:02d}.sql").read_text()
                ours, our_rows = best_of(args.iterations, lambda: run_trebuchet(conn, script))
                theirs, their_rows = best_of(args.iterations, lambda: run_datafusion(ctx, script))
                if our_rows != their_rows:
                    raise SystemExit(f"q{number}: {our_rows} rows from trebuchet, {their_rows} from datafusion")
                totals[0] += ours
                totals[1] += theirs
                print(f"{'q' + str(number):>5} {ours:13.0f} {theirs:14.0f} {ours / theirs:6.2f}")
            print(f"{'total':>5} {totals[0]:13.0f} {totals[1]:14.0f} {totals[0] / totals[1]:6.2f}")
            conn.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
