"""Single-task queries over ADBC: with `ballista.planner.adaptive.enabled`, a query whose scans
DataFusion estimates at most `ballista.planner.adaptive.single_task.max_input_bytes` runs as
one task on one executor, its exchanges in memory and its sort-merge joins hash joins; the
REST API, EXPLAIN and EXPLAIN ANALYZE say so, and the answer is DataFusion's. The TPC-H
oracle runs all 22 queries this way too (test_tpch_oracle.py)."""

from __future__ import annotations

import pytest

from helpers import adbc_connect, assert_tables_match, execute, query_rows, query_table
from test_adaptive import ADAPTIVE, SINGLE_TASK, last_job
from test_tpch_oracle import oracle_table, statements

MAX_INPUT = "ballista.planner.adaptive.single_task.max_input_bytes"
ONE_TASK = "runs as one task: its scans are estimated at "
JOINED = (
    "SELECT o_orderpriority, count(*) AS n FROM orders JOIN lineitem ON l_orderkey = o_orderkey "
    "WHERE l_quantity > 10 GROUP BY o_orderpriority ORDER BY o_orderpriority"
)


@pytest.fixture
def adaptive(server):
    conn = adbc_connect(server.uri)
    execute(conn, f"SET {ADAPTIVE} = true")
    # No broadcast: the join is planned as a sort-merge join of two shuffled sides.
    execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
    yield conn
    conn.close()


def test_a_small_query_runs_as_one_task_with_hash_joins(server, adaptive, oracle):
    expected = oracle.sql(JOINED).to_arrow_table()
    assert query_table(adaptive, JOINED).to_pylist() == expected.to_pylist()

    job = last_job(server, JOINED)
    assert job["state"] == "succeeded"
    [stage] = job["stages"]
    assert stage["tasks"]["total"] == stage["tasks"]["succeeded"] == 1, stage
    assert stage["inputs"] == []
    [note] = stage["adaptive_changes"]
    assert note.startswith(ONE_TASK), note
    assert "1 sort-merge join(s) became hash joins" in note, note
    plan = stage["plan"]
    assert "HashJoinExec" in plan and "SortMergeJoin" not in plan, plan
    assert "RepartitionExec" in plan, f"the exchanges stay, in memory: {plan}"


def test_a_query_above_the_limit_or_with_the_rule_off_runs_as_stages(server, adaptive, oracle):
    expected = oracle.sql(JOINED).to_arrow_table().to_pylist()
    for setting in [f"{MAX_INPUT} = 1", f"{SINGLE_TASK} = false"]:
        execute(adaptive, f"SET {setting}")
        assert query_table(adaptive, JOINED).to_pylist() == expected
        job = last_job(server, JOINED)
        assert len(job["stages"]) > 1, setting
        assert not any(
            change.startswith(ONE_TASK) for stage in job["stages"] for change in stage["adaptive_changes"]
        ), setting
        execute(adaptive, f"RESET {setting.split(' = ')[0]}")


def test_a_session_without_the_adaptive_planner_runs_stages(server, oracle):
    conn = adbc_connect(server.uri)
    try:
        execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
        assert query_table(conn, JOINED).to_pylist() == oracle.sql(JOINED).to_arrow_table().to_pylist()
    finally:
        conn.close()
    assert len(last_job(server, JOINED)["stages"]) > 1


def test_explain_and_explain_analyze_say_it_runs_as_one_task(adaptive):
    explained = "\n".join(str(row[-1]) for row in query_rows(adaptive, f"EXPLAIN {JOINED}"))
    assert f"The query {ONE_TASK}" in explained, explained
    assert "Stage 2" not in explained, explained

    analyzed = query_rows(adaptive, f"EXPLAIN ANALYZE {JOINED}")[0][1]
    headers = [line for line in analyzed.splitlines() if line.startswith("Stage ")]
    assert len(headers) == 1 and ONE_TASK in headers[0], analyzed


@pytest.mark.parametrize("value", ["'lots'", "0", "-1"])
def test_a_bad_limit_is_refused_clearly(adaptive, value):
    with pytest.raises(Exception) as refused:
        execute(adaptive, f"SET {MAX_INPUT} = {value}")
    assert MAX_INPUT in str(refused.value), refused.value
    # The session still works, with the limit it had.
    assert query_rows(adaptive, "SELECT 1") == [(1,)]


@pytest.mark.parametrize("number", [3, 5, 9, 18, 21])
def test_tpch_joins_run_as_one_task_and_answer_as_datafusion(server, adaptive, oracle, tpch_query, number):
    """DataFusion's Parquet statistics size the embedded TPC-H tables, so these run as one task
    (the TPC-H oracle's single-task setup relies on it at scale 0.1)."""
    [statement] = statements(tpch_query(number))
    assert_tables_match(query_table(adaptive, statement), oracle_table(oracle, statement))
    [stage] = last_job(server, statement)["stages"]
    assert stage["tasks"]["total"] == 1, stage
    assert any(change.startswith(ONE_TASK) for change in stage["adaptive_changes"]), stage
