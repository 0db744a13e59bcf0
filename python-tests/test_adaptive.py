"""Adaptive query execution over ADBC: with `ballista.planner.adaptive.enabled`, a stage
reading a hash shuffle runs as few tasks as its measured input needs (never fewer than the
cluster's task slots), a sort-merge join whose measured side is small becomes a hash join,
each says so in the REST API and EXPLAIN ANALYZE, and answers exactly what the same query
answers without it. The TPC-H oracle runs all 22 queries under
adaptive setups too (test_tpch_oracle.py)."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from helpers import adbc_connect, execute, query_rows

GROUPED = "SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_quantity) AS q FROM lineitem GROUP BY 1, 2 ORDER BY 1, 2"
JOINED = (
    "SELECT o_orderpriority, count(*) AS n FROM orders JOIN lineitem ON l_orderkey = o_orderkey "
    "WHERE l_quantity > 10 GROUP BY o_orderpriority ORDER BY o_orderpriority"
)
ADAPTIVE = "ballista.planner.adaptive.enabled"
COALESCE = "ballista.planner.adaptive.coalesce_partitions.enabled"
ADVISORY = "ballista.planner.adaptive.coalesce_partitions.advisory_partition_size"
JOIN_STRATEGY = "ballista.planner.adaptive.join_strategy.enabled"
BUILD_LIMIT = "ballista.planner.adaptive.join_strategy.hash_join_max_build_bytes"
# Off where a test looks at the rules that re-plan stages: at the test data's size, the
# adaptive planner would otherwise run each query as one task (test_single_task.py).
SINGLE_TASK = "ballista.planner.adaptive.single_task.enabled"
HASHED = "sort-merge join became a partitioned hash join"


def api(server, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=30) as response:
        return json.load(response)


def last_job(server, sql: str) -> dict:
    summary = next(job for job in api(server, "/api/jobs") if job["sql"] == sql)
    return api(server, f"/api/job/{summary['job_id']}")


def task_slots(server) -> int:
    return sum(e["slots"] for e in api(server, "/api/executors") if e["state"] == "alive")


@pytest.fixture
def sessions(server):
    """Two sessions of the same server: one adaptive, one not."""
    adaptive, plain = adbc_connect(server.uri), adbc_connect(server.uri)
    execute(adaptive, f"SET {ADAPTIVE} = true")
    execute(adaptive, f"SET {SINGLE_TASK} = false")
    # No broadcast: the join's two sides are hash shuffles the adaptive planner coalesces.
    for conn in (adaptive, plain):
        execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
    yield adaptive, plain
    adaptive.close()
    plain.close()


@pytest.mark.parametrize("sql", [GROUPED, JOINED])
def test_coalesced_stages_answer_as_the_planned_ones(server, sessions, sql):
    adaptive, plain = sessions
    expected = query_rows(plain, sql)
    assert query_rows(adaptive, sql) == expected

    job = last_job(server, sql)  # the adaptive run, the most recent
    changed = [
        stage for stage in job["stages"]
        if any(change.startswith("coalesced") for change in stage["adaptive_changes"])
    ]
    assert changed, f"no stage was coalesced: {[s['tasks'] for s in job['stages']]}"
    slots = task_slots(server)
    partitions = int(query_rows(plain, "SHOW datafusion.execution.target_partitions")[0][1])
    for stage in changed:
        # Kilobytes of input: about as many tasks as slots, never fewer.
        assert min(slots, partitions) <= stage["tasks"]["total"] < partitions, stage["adaptive_changes"]
        assert stage["tasks"]["succeeded"] == stage["tasks"]["total"]
        coalesced = next(change for change in stage["adaptive_changes"] if change.startswith("coalesced"))
        assert f"coalesced {partitions} shuffle partitions" in coalesced


def test_explain_analyze_shows_the_coalesced_readers(sessions):
    adaptive, _ = sessions
    text = query_rows(adaptive, f"EXPLAIN ANALYZE {JOINED}")[0][1]
    headers = [line for line in text.splitlines() if line.startswith("Stage ") and "adaptive:" in line]
    assert headers, text
    # The join stage: both its readers read the same, coalesced, number of partitions.
    join = next(block for block in text.split("\nStage ") if "JoinExec" in block)
    counts = {match.group(1) for match in re.finditer(r"ShuffleReaderExec: .*partitioning=Hash\(\[.*\], (\d+)\)", join)}
    tasks = re.match(r"\d+ \(.*?\): (\d+) task", join).group(1)
    assert counts == {tasks}, join


def test_explain_says_the_plan_may_change_only_when_adaptive(sessions):
    adaptive, plain = sessions

    def distributed_plan(conn) -> str:
        rows = query_rows(conn, f"EXPLAIN {JOINED}")
        return next(text for kind, text in rows if kind == "distributed_plan")

    assert "this is the initial plan" in distributed_plan(adaptive)
    assert "Adaptive query execution" not in distributed_plan(plain)


def test_coalescing_can_be_turned_off_alone(server, sessions):
    adaptive, _ = sessions
    execute(adaptive, f"SET {COALESCE} = false")
    query_rows(adaptive, GROUPED)
    job = last_job(server, GROUPED)
    assert not any(stage["adaptive_changes"] for stage in job["stages"])


def test_an_advisory_size_below_every_partition_keeps_them_all(server, sessions):
    adaptive, plain = sessions
    execute(adaptive, f"SET {ADVISORY} = '1'")
    assert query_rows(adaptive, GROUPED) == query_rows(plain, GROUPED)
    job = last_job(server, GROUPED)
    assert not any(stage["adaptive_changes"] for stage in job["stages"])


def join_stage(server, sql: str) -> dict:
    job = last_job(server, sql)
    return next(stage for stage in job["stages"] if len(stage["inputs"]) == 2)


def test_a_join_of_small_measured_sides_runs_as_a_hash_join(server, sessions):
    adaptive, plain = sessions
    expected = query_rows(plain, JOINED)
    assert query_rows(adaptive, JOINED) == expected

    stage = join_stage(server, JOINED)  # the adaptive run, the most recent
    assert any(HASHED in change for change in stage["adaptive_changes"]), stage["adaptive_changes"]
    assert stage["tasks"]["succeeded"] == stage["tasks"]["total"]
    # What ran is the hash join, without sorting its inputs.
    text = query_rows(adaptive, f"EXPLAIN ANALYZE {JOINED}")[0][1]
    join = next(block for block in text.split("\nStage ") if "JoinExec" in block)
    assert "HashJoinExec: mode=Partitioned" in join, join
    assert "SortMergeJoinExec" not in join and "SortExec" not in join, join


@pytest.mark.parametrize("setting", [f"{JOIN_STRATEGY} = false", f"{BUILD_LIMIT} = '1'"])
def test_a_join_stays_a_sort_merge_join_when_the_rule_is_off_or_the_sides_too_large(server, sessions, setting):
    adaptive, plain = sessions
    execute(adaptive, f"SET {setting}")
    expected = query_rows(plain, JOINED)
    assert query_rows(adaptive, JOINED) == expected
    stage = join_stage(server, JOINED)  # the adaptive run, the most recent
    assert not any(HASHED in change for change in stage["adaptive_changes"]), stage["adaptive_changes"]


@pytest.mark.parametrize(
    "setting",
    [f"{ADVISORY} = 'lots'", f"{COALESCE} = 'maybe'", f"{ADAPTIVE} = 2", f"{JOIN_STRATEGY} = 'yes'", f"{BUILD_LIMIT} = '-1'"],
)
def test_bad_adaptive_settings_are_refused_with_the_key_named(server, setting):
    conn = adbc_connect(server.uri)
    try:
        with pytest.raises(Exception, match=setting.split(" = ")[0].split(".")[-1]):
            execute(conn, f"SET {setting}")
        # The session keeps working.
        assert query_rows(conn, "SELECT 1") == [(1,)]
    finally:
        conn.close()
