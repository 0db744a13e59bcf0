"""Skewed join partitions over ADBC: with `ballista.planner.adaptive.enabled`, a join's shuffle
partition far larger than its side's median is read by several tasks, each taking the files
of a range of map tasks and joining them with the whole matching partition of the other side.
The data is generated here with one hot key; every answer is checked against single-process
DataFusion over the same files, and the REST API shows which partitions were split."""

from __future__ import annotations

import random
import re
import uuid

import datafusion
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import adbc_connect, assert_setting_refused, execute, query_table
from test_adaptive import ADAPTIVE, ADVISORY, JOIN_STRATEGY, SINGLE_TASK, last_job

SKEW_JOIN = "ballista.planner.adaptive.skew_join.enabled"
FACTOR = "ballista.planner.adaptive.skew_join.skewed_partition_factor"
THRESHOLD = "ballista.planner.adaptive.skew_join.skewed_partition_threshold_bytes"
SPLIT = "split skewed partitions"
HOT_KEY = 7
KEYS = 2000


def write_table(directory, files: int, rows_per_file: int, hot_share: float, seed: int) -> None:
    """`files` Parquet files of (k, v, pad): a share of the rows has the hot key, the rest
    spread over KEYS keys. Several files make several map tasks, so that the hot key's
    partition can be cut between them."""
    directory.mkdir()
    rng = random.Random(seed)
    for file in range(files):
        keys = [HOT_KEY if rng.random() < hot_share else rng.randrange(KEYS) for _ in range(rows_per_file)]
        pq.write_table(
            pa.table({
                "k": pa.array(keys, pa.int64()),
                "v": pa.array([rng.randrange(1000) for _ in keys], pa.int64()),
                "pad": [f"{rng.getrandbits(128):032x}" * 2 for _ in keys],
            }),
            directory / f"part-{file}.parquet",
        )


@pytest.fixture(scope="module")
def tables(server, tmp_path_factory):
    """Names of three tables in the server's catalog: `facts`, 40% of whose rows share one
    key; `few`, small and skewed on the same key; `dims`, one row per key except those
    ending in 3. With the DataFusion context that answers for them."""
    root = tmp_path_factory.mktemp("skew")
    write_table(root / "facts", files=8, rows_per_file=2500, hot_share=0.4, seed=1)
    write_table(root / "few", files=4, rows_per_file=200, hot_share=0.75, seed=2)
    (root / "dims").mkdir()
    dim_keys = [k for k in range(KEYS) if k % 10 != 3]
    pq.write_table(
        pa.table({"k": pa.array(dim_keys, pa.int64()), "name": [f"n{k % 50}" for k in dim_keys]}),
        root / "dims" / "dims.parquet",
    )
    suffix = uuid.uuid4().hex[:8]
    names = {table: f"skew_{table}_{suffix}" for table in ("facts", "few", "dims")}
    oracle = datafusion.SessionContext()
    conn = adbc_connect(server.uri)
    try:
        for table, name in names.items():
            execute(conn, f"CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{root / table}/'")
            oracle.register_parquet(name, str(root / table) + "/")
    finally:
        conn.close()
    yield names, oracle
    conn = adbc_connect(server.uri)
    try:
        for name in names.values():
            execute(conn, f"DROP TABLE {name}")
    finally:
        conn.close()


@pytest.fixture
def skewed(server):
    """A session with the adaptive planner splitting partitions above 16 KiB and 5 times the
    median into pieces of about 16 KiB, its joins shuffled on both sides."""
    conn = adbc_connect(server.uri)
    for setting in [
        f"{ADAPTIVE} = true",
        f"{SINGLE_TASK} = false",
        "ballista.optimizer.broadcast_join_threshold_bytes = 0",
        f"{THRESHOLD} = '16KiB'",
        f"{ADVISORY} = '16KiB'",
    ]:
        execute(conn, f"SET {setting}")
    yield conn
    conn.close()


QUERIES = {
    "inner": "SELECT d.name, count(*) AS n, sum(f.v) AS s FROM {facts} f JOIN {dims} d ON f.k = d.k "
             "GROUP BY d.name ORDER BY d.name",
    "left": "SELECT coalesce(d.name, 'none') AS name, count(*) AS n, sum(f.v) AS s "
            "FROM {facts} f LEFT JOIN {dims} d ON f.k = d.k GROUP BY 1 ORDER BY 1",
    "semi": "SELECT f.k % 10 AS bucket, count(*) AS n FROM {facts} f "
            "WHERE EXISTS (SELECT 1 FROM {dims} d WHERE d.k = f.k) GROUP BY 1 ORDER BY 1",
    "anti": "SELECT f.k % 10 AS bucket, count(*) AS n FROM {facts} f "
            "WHERE NOT EXISTS (SELECT 1 FROM {dims} d WHERE d.k = f.k AND d.k <> 7) GROUP BY 1 ORDER BY 1",
    "both sides": "SELECT count(*) AS n, sum(a.v * b.v) AS s FROM {facts} a JOIN {few} b ON a.k = b.k",
}


def join_stage(server, sql: str) -> dict:
    job = last_job(server, sql)
    assert job["state"] == "succeeded", job
    return next(stage for stage in job["stages"] if len(stage["inputs"]) == 2)


def split_note(stage: dict) -> str | None:
    return next((change for change in stage["adaptive_changes"] if SPLIT in change), None)


@pytest.mark.parametrize("join_strategy", ["true", "false"], ids=["hash join", "sort-merge join"])
@pytest.mark.parametrize("kind", QUERIES)
def test_a_skewed_partition_is_split_and_the_answer_is_datafusions(server, tables, skewed, kind, join_strategy):
    names, oracle = tables
    sql = QUERIES[kind].format(**names)
    execute(skewed, f"SET {JOIN_STRATEGY} = {join_strategy}")
    if kind == "both sides":
        # `few`'s hot partition holds about 11 KB of the two columns read.
        execute(skewed, f"SET {THRESHOLD} = '4KiB'")
        execute(skewed, f"SET {ADVISORY} = '4KiB'")
    expected = oracle.sql(sql).to_arrow_table()
    assert query_table(skewed, sql).to_pylist() == expected.to_pylist()

    stage = join_stage(server, sql)
    note = split_note(stage)
    assert note, stage["adaptive_changes"]
    assert stage["tasks"]["succeeded"] == stage["tasks"]["total"]
    if kind == "both sides":
        # Both sides' hot partitions are cut, and every piece meets every other.
        assert any(part.count(" pieces") == 2 for part in note.split("; ")), note
    # What ran: each reader of the join reads the same number of slices, one per task.
    plan = stage["plan"]
    assert plan.count(f"{stage['tasks']['total']} slices of ") == 2, plan


def test_a_full_join_is_never_split_and_still_answers(server, tables, skewed):
    names, oracle = tables
    sql = ("SELECT count(*) AS n, count(f.k) AS fk, count(d.k) AS dk "
           "FROM {facts} f FULL JOIN {dims} d ON f.k = d.k").format(**names)
    assert query_table(skewed, sql).to_pylist() == oracle.sql(sql).to_arrow_table().to_pylist()
    assert split_note(join_stage(server, sql)) is None


def test_no_split_with_the_rule_off_or_under_the_factor(server, tables, skewed):
    names, oracle = tables
    sql = QUERIES["inner"].format(**names)
    expected = oracle.sql(sql).to_arrow_table().to_pylist()
    for setting in [f"{SKEW_JOIN} = false", f"{FACTOR} = 1000"]:
        execute(skewed, f"SET {setting}")
        assert query_table(skewed, sql).to_pylist() == expected
        assert split_note(join_stage(server, sql)) is None, setting
        execute(skewed, f"RESET {setting.split(' = ')[0]}")


def test_explain_analyze_shows_the_split_readers(tables, skewed):
    names, _ = tables
    text = query_table(skewed, f"EXPLAIN ANALYZE {QUERIES['inner'].format(**names)}").column(1)[0].as_py()
    join = next(block for block in text.split("\nStage ") if "JoinExec" in block)
    assert SPLIT in join, join
    # Both readers of the join read one slice per task, the ones of the hot partition's
    # pieces from its map tasks' files only.
    tasks = re.search(r": (\d+) task\(s\)", join).group(1)
    readers = re.findall(r"ShuffleReaderExec: stage=\d+, partitioning=Hash\(\[.*?\], (\d+)\)", join)
    assert readers == [tasks, tasks], join


@pytest.mark.parametrize("setting, value", [(FACTOR, "0.5"), (FACTOR, "'many'"), (THRESHOLD, "'lots'"), (THRESHOLD, "0")])
def test_bad_settings_are_refused_with_the_key_named(server, setting, value):
    conn = adbc_connect(server.uri)
    try:
        assert_setting_refused(conn, setting, value)
    finally:
        conn.close()
