"""Small queries on the scheduler or as jobs: p50 latency over Flight SQL (ADBC) of a bound
point lookup and of a grouped aggregate, on generated Parquet tables of growing size, with
`ballista.planner.scheduler_execution_threshold_bytes` at 0 (every query is a job on the
executors) and at 1 TiB (every one runs on the scheduler), next to in-process DataFusion
running the same SQL on the same file; the last column says where the key's default puts
the query. Where the job starts to win is where the default belongs. Fails if the three ever
answer differently.

    ~/.cache/trebuchet/venv/bin/python benchmarks/small_queries.py \
        --binary ~/.cache/trebuchet/target/release/trebuchet
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import datafusion
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from standalone import running_standalone

THRESHOLD_KEY = "ballista.planner.scheduler_execution_threshold_bytes"
ROW_COUNTS = [1_000, 10_000, 50_000, 200_000, 1_000_000]
# name -> SQL over table `t` of the given size; `?` is bound to a key in the table.
QUERIES = {
    "point lookup (bound)": "SELECT name, amount FROM {table} WHERE id = ?",
    "grouped aggregate": "SELECT grp, count(*) AS n, sum(amount) AS total FROM {table} GROUP BY grp",
}


def write_table(path: Path, rows: int) -> None:
    generator = np.random.default_rng(rows)
    table = pa.table({
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "grp": pa.array(generator.integers(0, 100, rows, dtype=np.int64)),
        "name": pa.array([f"name-{i}" for i in range(rows)]),
        "amount": pa.array(generator.integers(0, 100_000, rows, dtype=np.int64)),
    })
    path.mkdir(parents=True)
    pq.write_table(table, path / "part-0.parquet")


def sorted_rows(table: pa.Table) -> list[tuple]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def check(got: list[tuple], expected: list[tuple], what: str) -> None:
    if got != expected:
        raise SystemExit(f"{what}: Trebuchet answered differently from DataFusion")


def p50(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def timed(iterations: int, run) -> float:
    for _ in range(min(5, iterations)):
        run()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return p50(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--scheduler-policy", default="pull-staged", choices=["pull-staged", "push-staged"])
    parser.add_argument("--max-rows", type=int, default=ROW_COUNTS[-1], help="skip larger tables")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trebuchet-small-") as work_dir:
        work = Path(work_dir)
        tables = {f"t{rows}": rows for rows in ROW_COUNTS if rows <= args.max_rows}
        for name, rows in tables.items():
            write_table(work / "data" / name, rows)
        with running_standalone(args.binary, [
            "--tpch-scale", "0", "--work-dir", str(work / "server"),
            "--scheduler-policy", args.scheduler_policy,
            *[f"--table={name}={work / 'data' / name}" for name in tables],
        ]) as port:
            conn = flightsql.connect(f"grpc://127.0.0.1:{port}")
            cur = conn.cursor()
            cur.execute(f"SHOW {THRESHOLD_KEY}")
            default = cur.fetchall()[0][1]
            ctx = datafusion.SessionContext()
            for name in tables:
                ctx.register_parquet(name, str(work / "data" / name / "part-0.parquet"))
            print(f"{args.scheduler_policy}, {args.iterations} iterations, p50 ms; "
                  f"on the scheduler: {THRESHOLD_KEY} = {default}")
            print(f"{'query':<22} {'rows':>9} {'parquet KiB':>11} {'as a job':>9} "
                  f"{'scheduler':>9} {'DataFusion':>10}  default")
            for query, sql in QUERIES.items():
                for name, rows in tables.items():
                    text = sql.format(table=name)
                    parameters = (rows // 2,) if "?" in text else None
                    size = sum(f.stat().st_size for f in (work / "data" / name).iterdir()) // 1024

                    def run() -> pa.Table:
                        cur.execute(text, parameters)
                        return cur.fetch_arrow_table()

                    literal = text.replace("?", str(rows // 2))
                    expected = sorted_rows(ctx.sql(literal).to_arrow_table())
                    cur.execute(f"SET {THRESHOLD_KEY} = 0")
                    check(sorted_rows(run()), expected, f"{query} on {name} as a job")
                    as_job = timed(args.iterations, run)
                    cur.execute(f"SET {THRESHOLD_KEY} = '1TiB'")
                    check(sorted_rows(run()), expected, f"{query} on {name} on the scheduler")
                    on_scheduler = timed(args.iterations, run)
                    cur.execute(f"SET {THRESHOLD_KEY} = '{default}'")
                    cur.execute(f"EXPLAIN {literal}")
                    explained = " ".join(str(row) for row in cur.fetchall())
                    placed = "scheduler" if "runs on the scheduler" in explained else "job"
                    in_process = timed(args.iterations, lambda: ctx.sql(literal).to_arrow_table())
                    print(f"{query:<22} {rows:>9} {size:>11} {as_job:>9.2f} {on_scheduler:>9.2f} "
                          f"{in_process:>10.2f}  {placed}")
            cur.close()
            conn.close()


if __name__ == "__main__":
    main()
