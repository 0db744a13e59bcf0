"""A join with a small, filtered side runs below the inner joins whose one input holds its keys
(`ballista.optimizer.push_down_selective_joins`, on by default): TPC-H q21 joins the one
`nation` it keeps to `supplier` before `lineitem`. Checked on a scheduler and two executor
processes at scale 0.1: the answers equal in-process DataFusion's with the rule on and off, and
`EXPLAIN` shows where the join went."""

from __future__ import annotations

import pytest

from helpers import adbc_connect, assert_setting_refused, assert_tables_match, execute, query_table, show_setting
from test_tpch_oracle import run_script_in_oracle, statements

RULE = "ballista.optimizer.push_down_selective_joins"


def physical_plan(conn, sql: str) -> list[str]:
    explained = query_table(conn, f"EXPLAIN {sql}").to_pylist()
    return next(row["plan"] for row in explained if row["plan_type"] == "physical_plan").splitlines()


def join_depth(plan: list[str], *keys: str) -> int:
    """The indentation of the join whose `on=[…]` names every one of `keys`."""
    for line in plan:
        if "Join" in line and "on=[" in line:
            on = line.split("on=[", 1)[1].split("]", 1)[0]
            if all(key in on for key in keys):
                return len(line) - len(line.lstrip())
    raise AssertionError(f"no join on {keys} in:\n" + "\n".join(plan))


@pytest.fixture
def conn(process_cluster):
    connection = adbc_connect(process_cluster.uri)
    yield connection
    connection.close()


@pytest.mark.parametrize("number", [7, 11, 21])
def test_answers_equal_datafusion_with_the_rule_on_and_off(conn, oracle_sf01, tpch_query, number):
    [sql] = statements(tpch_query(number))
    expected = run_script_in_oracle(oracle_sf01, sql)
    assert expected.num_rows > 0
    assert_tables_match(query_table(conn, sql), expected)
    execute(conn, f"SET {RULE} = false")
    assert_tables_match(query_table(conn, sql), expected)


def test_q21_joins_nation_to_supplier_before_lineitem_unless_turned_off(conn, tpch_query):
    [sql] = statements(tpch_query(21))
    # As at scale 10: the filtered `nation` is small, the filtered `orders` (600 KB here) is
    # not, so `nation` is the one to move (below a join with a side as selective as itself,
    # it would stay).
    execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = '100KiB'")
    plan = physical_plan(conn, sql)
    nation = join_depth(plan, "n_nationkey@", "s_nationkey@")
    supplier = join_depth(plan, "s_suppkey@", "l_suppkey@")
    assert supplier < nation, "\n".join(plan)

    execute(conn, f"SET {RULE} = false")
    plan = physical_plan(conn, sql)
    assert join_depth(plan, "n_nationkey@", "s_nationkey@") < join_depth(plan, "s_suppkey@", "l_suppkey@"), \
        "\n".join(plan)


def test_the_setting_is_per_session_and_bad_values_are_refused(process_cluster, conn):
    execute(conn, f"SET {RULE} = false")
    other = adbc_connect(process_cluster.uri)
    try:
        assert show_setting(other, RULE) == "true"
        assert_setting_refused(other, RULE, "'sometimes'")
    finally:
        other.close()
