"""Small queries run on the scheduler, without a job: a query whose scans are estimated within
`ballista.planner.scheduler_execution_threshold_bytes` (4 MiB by default) answers there, as
single-process DataFusion runs it. Checked against in-process DataFusion over the same Parquet
files, with the REST API's job list saying whether a job ran. Also `--session-default`, the
server-wide value of a session key that `RESET` returns to."""

from __future__ import annotations

import subprocess

import pytest

from conftest import SCHEDULER_EXECUTION_THRESHOLD, oracle_over, table_flags
from helpers import TrebuchetServer, adbc_connect, assert_setting_refused, query_table, show_setting
from test_rest_api import find_jobs

# Marked so that each test finds its own queries among the server's jobs.
LOOKUP = "SELECT /* lookup */ n_name, n_regionkey FROM nation WHERE n_nationkey = ?"
AGGREGATE = ("SELECT /* aggregate */ c_mktsegment, count(*) AS n, sum(c_acctbal) AS balance "
             "FROM customer GROUP BY c_mktsegment ORDER BY c_mktsegment")
# Every column of lineitem at scale 0.01: 60 175 rows, estimated well above 4 MiB.
LARGE = "SELECT /* large */ * FROM lineitem"


@pytest.fixture(scope="module")
def default_server(trebuchet_bin, tpch_parquet_dir, tmp_path_factory):
    """A server with the threshold at its default (`start_server` would turn it off)."""
    srv = TrebuchetServer(trebuchet_bin, [
        "standalone", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0",
        "--work-dir", str(tmp_path_factory.mktemp("small-queries")), *table_flags(tpch_parquet_dir),
    ])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def oracle(tpch_parquet_dir):
    return oracle_over(tpch_parquet_dir)


def explained(conn, sql: str) -> str:
    return "\n".join(str(value) for value in query_table(conn, f"EXPLAIN {sql}").column(1).to_pylist())


def test_a_bound_lookup_and_an_aggregate_on_small_tables_answer_without_a_job(default_server, oracle):
    conn = adbc_connect(default_server.uri)
    try:
        for key in (7, 24, 99):
            expected = oracle.sql(LOOKUP.replace("?", str(key))).to_arrow_table()
            assert query_table(conn, LOOKUP, (key,)).to_pylist() == expected.to_pylist(), key
        expected = oracle.sql(AGGREGATE).to_arrow_table()
        assert query_table(conn, AGGREGATE).to_pylist() == expected.to_pylist()
        assert len(find_jobs(default_server, "/* lookup */")) == 0
        assert len(find_jobs(default_server, "/* aggregate */")) == 0

        # At 0 the same queries are jobs, with the same answers.
        query_table(conn, f"SET {SCHEDULER_EXECUTION_THRESHOLD} = 0")
        assert query_table(conn, LOOKUP, (7,)).to_pylist() == \
            oracle.sql(LOOKUP.replace("?", "7")).to_arrow_table().to_pylist()
        assert query_table(conn, AGGREGATE).to_pylist() == expected.to_pylist()
        assert len(find_jobs(default_server, "/* lookup */")) == 1
        assert len(find_jobs(default_server, "/* aggregate */")) == 1
    finally:
        conn.close()


def test_explain_says_which_queries_run_on_the_scheduler_and_why(default_server):
    conn = adbc_connect(default_server.uri)
    try:
        small = explained(conn, LOOKUP.replace("?", "7"))
        assert "runs on the scheduler: its scans are estimated at" in small, small
        assert f"at most {SCHEDULER_EXECUTION_THRESHOLD} (4194304)" in small, small
        large = explained(conn, LARGE)
        assert "runs on the scheduler" not in large, large
        # A cross join of two small tables is a job: its work is not bounded by its input.
        cross = explained(conn, "SELECT sum(a.n_nationkey * b.r_regionkey) FROM nation a, region b")
        assert "runs on the scheduler" not in cross, cross
        query_table(conn, f"SET {SCHEDULER_EXECUTION_THRESHOLD} = '1TiB'")
        assert "runs on the scheduler: its scans are estimated" in explained(conn, LARGE)
    finally:
        conn.close()


def test_a_bad_threshold_is_refused_and_the_session_keeps_working(default_server):
    conn = adbc_connect(default_server.uri)
    try:
        for bad in ("'lots'", "-1", "'1XB'"):
            assert_setting_refused(conn, SCHEDULER_EXECUTION_THRESHOLD, bad)
    finally:
        conn.close()


def test_a_session_default_applies_to_every_session_and_reset_returns_to_it(trebuchet_bin, tmp_path):
    srv = TrebuchetServer(trebuchet_bin, [
        "standalone", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0.01",
        "--work-dir", str(tmp_path / "work"),
        "--session-default", f"{SCHEDULER_EXECUTION_THRESHOLD}=0",
        "--session-default", "datafusion.execution.batch_size=1024",
    ])
    srv.start()
    try:
        first, second = adbc_connect(srv.uri), adbc_connect(srv.uri)
        for conn in (first, second):
            assert show_setting(conn, SCHEDULER_EXECUTION_THRESHOLD) == "0"
            assert show_setting(conn, "datafusion.execution.batch_size") == "1024"
        query_table(first, f"SET {SCHEDULER_EXECUTION_THRESHOLD} = '2MiB'")
        assert show_setting(first, SCHEDULER_EXECUTION_THRESHOLD) == "2097152"
        assert show_setting(second, SCHEDULER_EXECUTION_THRESHOLD) == "0"
        query_table(first, f"RESET {SCHEDULER_EXECUTION_THRESHOLD}")
        assert show_setting(first, SCHEDULER_EXECUTION_THRESHOLD) == "0"
        # A key the operator did not set resets to Trebuchet's default.
        query_table(first, "SET datafusion.execution.target_partitions = 3")
        query_table(first, "RESET datafusion.execution.target_partitions")
        assert show_setting(first, "datafusion.execution.target_partitions") == "16"
        # The server default reaches the executors: at 0 a small query is a job, and answers.
        assert query_table(first, "SELECT /* by-default */ count(*) AS n FROM nation WHERE n_regionkey = 1") \
            .column(0).to_pylist() == [5]
        assert len(find_jobs(srv, "/* by-default */")) == 1
        first.close()
        second.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("setting, expected", [
    ("no.such.key=1", "no.such.key"),
    (f"{SCHEDULER_EXECUTION_THRESHOLD}=lots", SCHEDULER_EXECUTION_THRESHOLD),
    ("missing-equals", "KEY=VALUE"),
])
def test_a_bad_session_default_stops_the_server_at_startup_naming_it(trebuchet_bin, setting, expected):
    done = subprocess.run(
        [str(trebuchet_bin), "standalone", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0",
         "--session-default", setting],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert expected in done.stderr + done.stdout, done.stderr
