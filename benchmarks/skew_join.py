"""A join on a hot key: Trebuchet standalone with the adaptive planner splitting the skewed
partition, without that split, and without the adaptive planner, next to in-process DataFusion
on the same Parquet files, alternating query by query. Prints the median of each in ms and its
ratio to DataFusion, and what the adaptive planner did to the join stage. The sort-merge setups
keep the join a sort-merge join (`join_strategy.enabled = false`), as when its build side is
too large for a hash table.

`facts` has `--rows` rows in 16 files, a `--hot-share` of them on one key and the rest spread
over 2 million keys, with six random BIGINT columns the query aggregates, so that they travel
through the shuffle; `dims` has one row per key, too many (48 MB) to broadcast. The query runs in stages
(`single_task.enabled = false`), as an input above the single-task limit would, except in
the `adaptive (one task)` setup, where the adaptive planner's defaults run it as one task.

    ~/.cache/trebuchet/venv/bin/python benchmarks/skew_join.py \\
        --binary ~/.cache/trebuchet/target/release/trebuchet
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import datafusion
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from standalone import running_standalone

FILES = 16
KEYS = 2_000_000
HOT_KEY = 7
COLUMNS = [f"c{i}" for i in range(1, 7)]
SQL = (
    "SELECT d.grp, count(*) AS n, "
    + ", ".join(f"sum(f.{c}) AS s{c}" for c in COLUMNS)
    + ", sum(d.w) AS sw FROM facts f JOIN dims d ON f.k = d.k GROUP BY d.grp ORDER BY d.grp"
)
STAGED = [
    "ballista.planner.adaptive.enabled = true",
    "ballista.planner.adaptive.single_task.enabled = false",
]
NO_SPLIT = "ballista.planner.adaptive.skew_join.enabled = false"
MERGE_JOIN = "ballista.planner.adaptive.join_strategy.enabled = false"
SETUPS = {
    "adaptive, skew split": STAGED,
    "adaptive, no skew split": [*STAGED, NO_SPLIT],
    "sort-merge, skew split": [*STAGED, MERGE_JOIN],
    "sort-merge, no skew split": [*STAGED, MERGE_JOIN, NO_SPLIT],
    "adaptive (one task)": ["ballista.planner.adaptive.enabled = true"],
    "defaults": [],
}


def generate(out: Path, rows: int, hot_share: float) -> None:
    """The two tables under `out`, unless a run with the same shape wrote them."""
    shape = out / "shape.json"
    wanted = {"rows": rows, "hot_share": hot_share}
    if shape.is_file() and json.loads(shape.read_text()) == wanted:
        return
    rng = np.random.default_rng(42)
    (out / "facts").mkdir(parents=True, exist_ok=True)
    for file in range(FILES):
        count = rows // FILES
        keys = np.where(rng.random(count) < hot_share, HOT_KEY, rng.integers(0, KEYS, count))
        columns = {"k": keys.astype(np.int64)}
        # Below 2^32, so that sums of a billion rows stay within BIGINT.
        columns |= {c: rng.integers(0, 1 << 32, count, dtype=np.int64) for c in COLUMNS}
        pq.write_table(pa.table(columns), out / "facts" / f"part-{file}.parquet")
    (out / "dims").mkdir(exist_ok=True)
    keys = np.arange(KEYS, dtype=np.int64)
    weights = rng.integers(0, 1000, KEYS, dtype=np.int64)
    pq.write_table(pa.table({"k": keys, "grp": keys % 20, "w": weights}), out / "dims" / "dims.parquet")
    shape.write_text(json.dumps(wanted))


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def join_stage_changes(port: int) -> list[str]:
    """What the adaptive planner did to the join stage of the last job that ran the query."""
    def api(path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return json.load(response)

    job = next(job for job in api("/api/jobs") if job["sql"] == SQL)
    stages = api(f"/api/job/{job['job_id']}")["stages"]
    join = next((stage for stage in stages if len(stage["inputs"]) == 2), None)
    if join is None:
        return ["no stage joins two shuffles: a side was small enough to broadcast"]
    return [*join["adaptive_changes"], f"{join['tasks']['total']} tasks"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True, help="the trebuchet binary")
    parser.add_argument("--rows", type=int, default=16_000_000)
    parser.add_argument("--hot-share", type=float, default=0.5)
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "trebuchet-skew-data")
    parser.add_argument("--skew-threshold", default=None,
                        help="skewed_partition_threshold_bytes and advisory size for the staged setups "
                             "(default: the server's), e.g. 64KiB for a small --rows")
    args = parser.parse_args()
    setups = dict(SETUPS)
    if args.skew_threshold:
        smaller = [
            f"ballista.planner.adaptive.skew_join.skewed_partition_threshold_bytes = '{args.skew_threshold}'",
            f"ballista.planner.adaptive.coalesce_partitions.advisory_partition_size = '{args.skew_threshold}'",
            "ballista.optimizer.broadcast_join_threshold_bytes = 0",
        ]
        setups = {name: [*settings, *smaller] if settings[:len(STAGED)] == STAGED else settings
                  for name, settings in SETUPS.items()}

    generate(args.data_dir, args.rows, args.hot_share)
    ctx = datafusion.SessionContext()
    for table in ("facts", "dims"):
        ctx.register_parquet(table, str(args.data_dir / table) + "/")

    times: dict[str, list[float]] = {name: [] for name in [*setups, "datafusion"]}
    with tempfile.TemporaryDirectory(prefix="trebuchet-skew-") as work_dir:
        with running_standalone(args.binary, [
            "--host", "127.0.0.1", "--tpch-scale", "0", "--executors", str(args.executors),
            "--work-dir", work_dir,
            f"--table=facts={args.data_dir / 'facts'}", f"--table=dims={args.data_dir / 'dims'}",
        ]) as port:
            sessions = {}
            for name, settings in setups.items():
                conn = flightsql.connect(f"grpc://127.0.0.1:{port}")
                with conn.cursor() as cur:
                    for setting in settings:
                        cur.execute(f"SET {setting}")
                        cur.fetchall()
                sessions[name] = conn
            answers = {}
            changes = ["the query never ran"]
            for _ in range(args.iterations):
                for name, conn in sessions.items():
                    def run(conn=conn, name=name):
                        with conn.cursor() as cur:
                            cur.execute(SQL)
                            answers[name] = cur.fetch_arrow_table()
                    times[name].append(timed(run))
                    if name == "adaptive, skew split":
                        changes = join_stage_changes(port)
                times["datafusion"].append(timed(lambda: answers.__setitem__("datafusion", ctx.sql(SQL).to_arrow_table())))
            for conn in sessions.values():
                conn.close()

    expected = answers["datafusion"].to_pylist()
    for name, table in answers.items():
        if table.to_pylist() != expected:
            raise SystemExit(f"{name} answered differently from DataFusion")
    floor = statistics.median(times["datafusion"])
    print(f"{args.rows:,} rows, {args.hot_share:.0%} on one key, median of {args.iterations}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<26} {median:9.0f} ms {median / floor:6.2f}x")
    print("the join stage with the skew split:", "; ".join(changes))


if __name__ == "__main__":
    main()
