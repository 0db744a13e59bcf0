"""Empty stage elimination over ADBC: with `ballista.planner.adaptive.enabled`, a stage that
finished without rows makes the stages that certainly produce none skip, along with the
stages only they need; the final stage still runs, the REST API says what was skipped and
why, and the answer is DataFusion's."""

from __future__ import annotations

import pytest

from helpers import adbc_connect, execute, query_rows
from test_adaptive import ADAPTIVE, SINGLE_TASK, last_job

ELIMINATION = "ballista.planner.adaptive.empty_stage_elimination.enabled"
NO_ORDER = "o_comment = 'no order has this comment'"
# A grouped aggregate over an inner join with an empty side: every stage but the final one
# and the empty side produces no rows.
GROUPED = (
    "SELECT o_orderpriority, count(*) AS n FROM orders JOIN lineitem ON l_orderkey = o_orderkey "
    f"WHERE {NO_ORDER} GROUP BY o_orderpriority ORDER BY o_orderpriority"
)
# The other side takes seconds to generate; the empty side finishes in milliseconds, after
# which nothing needs the generated side. count(*) still yields its row.
SLOW_OTHER_SIDE = (
    "SELECT count(*) AS n FROM generate_series(1, 100000000) AS t(v) "
    f"JOIN orders ON v = o_orderkey WHERE {NO_ORDER}"
)


@pytest.fixture
def adaptive(server):
    conn = adbc_connect(server.uri)
    execute(conn, f"SET {ADAPTIVE} = true")
    execute(conn, f"SET {SINGLE_TASK} = false")
    # No broadcast: each side of the join is a stage of its own.
    execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
    yield conn
    conn.close()


def stages_by_state(job: dict, state: str) -> list[dict]:
    return [stage for stage in job["stages"] if stage["state"] == state]


def test_an_empty_side_skips_the_join_and_its_aggregation(server, adaptive, oracle):
    expected = oracle.sql(GROUPED).to_arrow_table().to_pylist()
    assert query_rows(adaptive, GROUPED) == [tuple(row.values()) for row in expected] == []

    job = last_job(server, GROUPED)
    assert job["state"] == "succeeded"
    final = job["stages"][-1]
    assert final["state"] == "succeeded", final
    empty_side = next(
        stage for stage in job["stages"] if not stage["inputs"] and "o_comment" in stage["plan"]
    )
    assert empty_side["state"] == "succeeded" and empty_side["rows_out"] == 0
    join = next(stage for stage in job["stages"] if empty_side["stage_id"] in stage["inputs"])
    assert join["state"] == "skipped", join
    assert join["tasks"]["skipped"] == join["tasks"]["total"] > 0
    assert join["tasks"]["succeeded"] == 0
    reason = f"skipped: produces no rows: stage {empty_side['stage_id']} it reads produced none"
    assert reason in join["adaptive_changes"], join["adaptive_changes"]


def test_explain_analyze_shows_the_skipped_stages(adaptive):
    text = query_rows(adaptive, f"EXPLAIN ANALYZE {GROUPED}")[0][1]
    skipped = [line for line in text.splitlines() if line.startswith("Stage ") and "(skipped" in line]
    assert skipped, text
    assert all("adaptive: skipped: " in line for line in skipped), skipped


def test_the_side_nothing_needs_stops_and_the_job_ends(server, adaptive, oracle):
    expected = oracle.sql(SLOW_OTHER_SIDE).to_arrow_table().to_pylist()
    assert query_rows(adaptive, SLOW_OTHER_SIDE) == [tuple(row.values()) for row in expected] == [(0,)]

    job = last_job(server, SLOW_OTHER_SIDE)
    assert job["state"] == "succeeded"
    generated = next(stage for stage in job["stages"] if "generate_series" in stage["plan"])
    assert generated["state"] == "skipped", generated
    # Its one task was running when the empty side finished; it was stopped, not awaited.
    assert generated["tasks"]["succeeded"] == 0, generated["tasks"]
    assert any("its output is not needed" in change for change in generated["adaptive_changes"]), generated["adaptive_changes"]
    # The join stage ran: its partial count(*) yields a row even from nothing.
    assert all(stage["state"] in ("succeeded", "skipped") for stage in job["stages"])
    assert job["stages"][-1]["state"] == "succeeded"


def test_nothing_is_skipped_when_the_rule_is_off(server, adaptive):
    execute(adaptive, f"SET {ELIMINATION} = false")
    assert query_rows(adaptive, GROUPED) == []
    job = last_job(server, GROUPED)
    assert not stages_by_state(job, "skipped"), [stage["state"] for stage in job["stages"]]
    assert all(stage["state"] == "succeeded" for stage in job["stages"])


def test_an_outer_join_keeps_its_preserved_side(server, adaptive, oracle):
    sql = (
        "SELECT o_orderpriority, count(l_orderkey) AS n FROM orders "
        "LEFT JOIN (SELECT * FROM lineitem WHERE l_comment = 'no line has this comment') l "
        "ON l_orderkey = o_orderkey GROUP BY o_orderpriority ORDER BY o_orderpriority"
    )
    expected = [tuple(row.values()) for row in oracle.sql(sql).to_arrow_table().to_pylist()]
    assert expected, "every order is kept"
    assert query_rows(adaptive, sql) == expected
    job = last_job(server, sql)
    assert not stages_by_state(job, "skipped"), [stage["state"] for stage in job["stages"]]


def test_a_bad_setting_is_refused_with_the_key_named(server):
    conn = adbc_connect(server.uri)
    try:
        with pytest.raises(Exception, match="empty_stage_elimination"):
            execute(conn, f"SET {ELIMINATION} = 'sometimes'")
        assert query_rows(conn, "SELECT 1") == [(1,)]
    finally:
        conn.close()
