"""The `system` schema over Flight SQL (ADBC): jobs, stages, tasks, executors and sessions
as SQL tables, who sees which rows, the bounded job history, and that the schema is read-only.

Each test marks the statements it runs with a unique comment and finds their jobs by their
exact text, passed as a parameter so the query on `system.jobs` does not match itself. The
statements read rows: one DataFusion answers from statistics alone (`SELECT count(*) FROM
nation`) runs on the scheduler and is no job.
"""

from __future__ import annotations

import time
import uuid

import adbc_driver_manager
import pytest

from conftest import start_server
from helpers import adbc_connect, execute, query_rows, query_table, query_value

SYSTEM_TABLES = ["executors", "jobs", "sessions", "stages", "tasks"]
# A job's last task reports to the scheduler just after the client read its last row.
JOB_END_TIMEOUT_S = 30


def marked(sql: str) -> str:
    """`sql` with a comment no other statement carries."""
    return f"-- system-tables-test {uuid.uuid4()}\n{sql}"


def job_of(conn, sql: str) -> dict:
    """The one job ran for statement `sql`, once it has ended."""
    deadline = time.monotonic() + JOB_END_TIMEOUT_S
    while True:
        jobs = query_table(conn, "SELECT * FROM system.jobs WHERE sql = ?", (sql,)).to_pylist()
        assert len(jobs) <= 1, jobs
        if jobs and jobs[0]["state"] != "running":
            return jobs[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no ended job for {sql!r} within {JOB_END_TIMEOUT_S} s: {jobs}")
        time.sleep(0.1)


def visible_job_users(conn) -> set:
    return {row[0] for row in query_rows(conn, "SELECT DISTINCT user_name FROM system.jobs")}


def visible_session_users(conn) -> set:
    return {row[0] for row in query_rows(conn, "SELECT DISTINCT user_name FROM system.sessions")}


@pytest.fixture(scope="module")
def tpch_job(server, tpch_query):
    """TPC-H Q3 run once over its own connection: (statement, rows the client received)."""
    sql = marked(tpch_query(3))
    conn = adbc_connect(server.uri)
    try:
        received = query_table(conn, sql).num_rows
        yield sql, received
    finally:
        conn.close()


# --- jobs, stages, tasks, executors ----------------------------------------------------------------


def test_a_tpch_query_is_a_succeeded_job_with_the_rows_the_client_received(adbc_conn, tpch_job):
    sql, received = tpch_job
    assert received > 0
    job = job_of(adbc_conn, sql)
    assert job["state"] == "succeeded", job
    assert job["error"] is None
    assert job["rows_out"] == received
    assert job["user_name"] is None, "no users: jobs have no user"
    assert job["stages"] >= 2, "Q3 joins and aggregates over shuffles"
    assert job["tasks"] == job["tasks_succeeded"] > 0
    assert job["ended_at"] >= job["submitted_at"]
    assert job["duration_ms"] >= 0


def test_stages_and_tasks_add_up_to_their_job(adbc_conn, tpch_job):
    sql, _ = tpch_job
    job = job_of(adbc_conn, sql)
    stages = query_table(adbc_conn, "SELECT * FROM system.stages WHERE job_id = ? ORDER BY stage_id",
                         (job["job_id"],)).to_pylist()
    tasks = query_table(adbc_conn, "SELECT * FROM system.tasks WHERE job_id = ?", (job["job_id"],)).to_pylist()
    assert len(stages) == job["stages"]
    assert sum(stage["tasks"] for stage in stages) == len(tasks) == job["tasks"]
    stage_ids = {stage["stage_id"] for stage in stages}
    for stage in stages:
        assert stage["state"] == "succeeded", stage
        assert stage["tasks_succeeded"] == stage["tasks"]
        assert stage["tasks_waiting"] == stage["tasks_running"] == 0
        assert set(stage["inputs"]) <= stage_ids - {stage["stage_id"]}
        assert stage["plan"], "every stage shows its operators"
        own_tasks = [task for task in tasks if task["stage_id"] == stage["stage_id"]]
        assert len(own_tasks) == stage["tasks"]
        assert sum(task["rows_out"] for task in own_tasks) == stage["rows_out"]
        assert sum(task["bytes_out"] for task in own_tasks) == stage["bytes_out"]
    final = stages[-1]
    assert final["rows_out"] == job["rows_out"]
    assert any(stage["inputs"] for stage in stages), "some stage reads another's output"

    executors = {row[0] for row in query_rows(adbc_conn, "SELECT executor_id FROM system.executors")}
    for task in tasks:
        assert task["state"] == "succeeded", task
        assert task["attempts"] >= 1
        assert task["executor_id"] in executors, (task, executors)
        assert task["elapsed_ms"] is not None


def test_executors_lists_the_live_executors(adbc_conn):
    executors = query_table(adbc_conn, "SELECT * FROM system.executors").to_pylist()
    alive = [executor for executor in executors if executor["state"] == "alive"]
    assert len(alive) == 2, "standalone runs two executors by default"
    assert len({executor["executor_id"] for executor in alive}) == 2
    for executor in alive:
        assert executor["slots"] > 0
        assert 0 <= executor["running_tasks"] <= executor["slots"]
        assert executor["flight_url"]
        assert executor["last_seen"] >= executor["registered_at"]


def test_system_tables_join(adbc_conn, tpch_job):
    sql, _ = tpch_job
    job = job_of(adbc_conn, sql)
    rows = query_rows(
        adbc_conn,
        "SELECT j.job_id, count(*), count(DISTINCT e.executor_id) "
        "FROM system.jobs j JOIN system.tasks t ON j.job_id = t.job_id "
        "JOIN system.executors e ON t.executor_id = e.executor_id "
        "WHERE j.sql = ? GROUP BY j.job_id",
        (sql,),
    )
    assert len(rows) == 1
    job_id, task_count, executor_count = rows[0]
    assert job_id == job["job_id"]
    assert task_count == job["tasks"]
    assert 1 <= executor_count <= 2


def test_a_failed_query_shows_as_failed_with_its_error(adbc_conn):
    sql = marked("SELECT CAST(n_name AS INT) AS n FROM nation")
    with pytest.raises(adbc_driver_manager.Error) as raised:
        query_rows(adbc_conn, sql)
    job = job_of(adbc_conn, sql)
    assert job["state"] == "failed", job
    assert job["error"], job
    assert "cast" in job["error"].lower(), job["error"]
    assert "cast" in str(raised.value).lower()
    assert job["ended_at"] is not None


def test_a_query_reading_system_tables_is_a_job_itself(adbc_conn):
    sql = marked("SELECT executor_id FROM system.executors")
    executors = query_rows(adbc_conn, sql)
    assert len(executors) >= 2
    job = job_of(adbc_conn, sql)
    assert job["state"] == "succeeded"
    assert job["rows_out"] == len(executors)


# --- sessions --------------------------------------------------------------------------------------


def test_sessions_show_the_callers_session_which_ran_its_jobs(connect_adbc):
    conn, other = connect_adbc(), connect_adbc()
    assert query_value(other, "SELECT 1") == 1
    current = query_table(conn, "SELECT * FROM system.sessions WHERE is_current").to_pylist()
    assert len(current) == 1, current
    session = current[0]
    assert session["user_name"] is None
    assert session["last_used_at"] >= session["opened_at"]

    sql = marked("SELECT r_name FROM region")
    assert len(query_rows(conn, sql)) == 5
    assert job_of(conn, sql)["session_id"] == session["session_id"]
    everyone = {row[0] for row in query_rows(conn, "SELECT session_id FROM system.sessions")}
    assert session["session_id"] in everyone and len(everyone) >= 2, "no users: every session is listed"


# --- who sees what ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def users_server(trebuchet_bin):
    srv = start_server(trebuchet_bin, "--tpch-scale", "0.01",
                       "--user", "alice:secret", "--user", "bob:pw", "--user", "carol:pw", "--admin", "carol")
    yield srv
    srv.stop()


def test_users_see_their_own_jobs_and_sessions_and_an_admin_sees_all(users_server):
    alice = adbc_connect(users_server.uri, "alice", "secret")
    bob = adbc_connect(users_server.uri, "bob", "pw")
    carol = adbc_connect(users_server.uri, "carol", "pw")
    try:
        alice_sql = marked("SELECT n_name FROM nation")
        bob_sql = marked("SELECT r_name FROM region")
        assert len(query_rows(alice, alice_sql)) == 25
        assert len(query_rows(bob, bob_sql)) == 5
        assert job_of(alice, alice_sql)["user_name"] == "alice"
        assert job_of(bob, bob_sql)["user_name"] == "bob"

        assert query_rows(bob, "SELECT job_id FROM system.jobs WHERE sql = ?", (alice_sql,)) == []
        assert query_rows(alice, "SELECT job_id FROM system.jobs WHERE sql = ?", (bob_sql,)) == []
        assert visible_job_users(bob) == {"bob"}
        assert visible_job_users(alice) == {"alice"}
        alice_job = job_of(alice, alice_sql)["job_id"]
        assert query_rows(bob, "SELECT * FROM system.stages WHERE job_id = ?", (alice_job,)) == []
        assert query_rows(bob, "SELECT * FROM system.tasks WHERE job_id = ?", (alice_job,)) == []
        assert visible_session_users(bob) == {"bob"}
        assert visible_session_users(alice) == {"alice"}

        assert job_of(carol, alice_sql)["user_name"] == "alice"
        assert job_of(carol, bob_sql)["user_name"] == "bob"
        assert {"alice", "bob"} <= visible_job_users(carol)
        assert visible_session_users(carol) == {"alice", "bob", "carol"}
        # Executors belong to no one.
        assert query_value(bob, "SELECT count(*) FROM system.executors WHERE state = 'alive'") == 2
    finally:
        for conn in (alice, bob, carol):
            conn.close()


# --- history ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_history_server(trebuchet_bin):
    srv = start_server(trebuchet_bin, "--tpch-scale", "0.01", "--job-history", "2")
    yield srv
    srv.stop()


def test_job_history_keeps_only_the_last_ended_jobs(short_history_server):
    conn = adbc_connect(short_history_server.uri)
    try:
        statements = [marked(f"SELECT count(*) FROM nation WHERE n_regionkey = {region}") for region in range(4)]
        for sql in statements:
            assert query_value(conn, sql) == 5
        last = job_of(conn, statements[-1])
        assert last["state"] == "succeeded"
        ended = query_table(conn, "SELECT job_id, sql FROM system.jobs WHERE state <> 'running'").to_pylist()
        assert len(ended) == 2, ended
        for sql in statements[:2]:
            assert query_rows(conn, "SELECT job_id FROM system.jobs WHERE sql = ?", (sql,)) == []
    finally:
        conn.close()


# --- metadata and read-only ------------------------------------------------------------------------


def test_metadata_lists_the_system_schema_and_its_tables(adbc_conn):
    objects = adbc_conn.adbc_get_objects(depth="tables", db_schema_filter="system").read_all().to_pylist()
    schemas = [schema for catalog in objects for schema in catalog["catalog_db_schemas"] or []]
    assert [schema["db_schema_name"] for schema in schemas] == ["system"]
    tables = sorted(table["table_name"] for table in schemas[0]["db_schema_tables"])
    assert tables == SYSTEM_TABLES
    schema = adbc_conn.adbc_get_table_schema("jobs", db_schema_filter="system")
    assert schema == query_table(adbc_conn, "SELECT * FROM system.jobs").schema
    assert str(schema.field("submitted_at").type) == "timestamp[ms, tz=UTC]"


@pytest.mark.parametrize("sql", [
    "CREATE TABLE system.x (a INT)",
    "CREATE TABLE system.jobs AS SELECT 1 AS a",
    "CREATE VIEW system.v AS SELECT 1 AS a",
    "DROP TABLE system.jobs",
    "DROP SCHEMA system CASCADE",
    "INSERT INTO system.sessions SELECT * FROM system.sessions",
])
def test_changing_the_system_schema_is_refused(adbc_conn, sql):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        execute(adbc_conn, sql)
    assert "the system schema is read-only" in str(raised.value)
    assert query_value(adbc_conn, "SELECT count(*) FROM system.executors") >= 2
