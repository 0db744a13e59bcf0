"""DDL and DML over ADBC: CTAS, views, memory tables with INSERT, external parquet, DROP.

Tables live in the server's shared catalog, so every test uses names of its own.
"""

import uuid

import adbc_driver_manager
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import execute, query_rows, query_value


@pytest.fixture
def unique_name():
    """Factory of table names no other test (or earlier run) uses."""

    def make(prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:8]}"

    return make


def insert_count(conn, sql: str) -> int:
    """Run an INSERT; the number of rows from its returned `count`, or else from cursor.rowcount.

    (ADBC's DB-API execute() always takes the query path: prepare, GetFlightInfo, DoGet. Its
    cursor.rowcount is the FlightInfo's total_records, -1 when the server leaves that unset.)
    """
    with conn.cursor() as cur:
        cur.execute(sql)
        result = cur.fetch_arrow_table()
        if result.column_names == ["count"] and result.num_rows == 1:
            return result.column("count")[0].as_py()
        assert cur.rowcount not in (None, -1), (
            f"INSERT through cursor.execute() reported no row count: result columns {result.column_names}, "
            f"cursor.rowcount {cur.rowcount} (ADBC takes rowcount from FlightInfo.total_records)"
        )
        return cur.rowcount


def test_create_table_as_select_makes_a_queryable_table(adbc_conn, unique_name):
    name = unique_name("ctas")
    execute(adbc_conn, f"CREATE TABLE {name} AS SELECT n_nationkey, n_name FROM nation WHERE n_regionkey = 1")
    assert query_value(adbc_conn, f"SELECT count(*) FROM {name}") == 5
    execute(adbc_conn, f"DROP TABLE {name}")


def test_tables_created_in_one_session_are_visible_from_another(connect_adbc, unique_name):
    creator, reader = connect_adbc(), connect_adbc()
    name = unique_name("shared")
    execute(creator, f"CREATE TABLE {name} AS SELECT r_name FROM region")
    assert sorted(row[0] for row in query_rows(reader, f"SELECT r_name FROM {name}")) == [
        "AFRICA",
        "AMERICA",
        "ASIA",
        "EUROPE",
        "MIDDLE EAST",
    ]
    execute(reader, f"DROP TABLE {name}")


def test_create_view_and_query_it(connect_adbc, unique_name):
    creator, reader = connect_adbc(), connect_adbc()
    name = unique_name("asia_nations")
    execute(
        creator,
        f"CREATE VIEW {name} AS SELECT n_name FROM nation JOIN region ON n_regionkey = r_regionkey "
        "WHERE r_name = 'ASIA'",
    )
    assert sorted(row[0] for row in query_rows(reader, f"SELECT n_name FROM {name}")) == [
        "CHINA",
        "INDIA",
        "INDONESIA",
        "JAPAN",
        "VIETNAM",
    ]
    execute(creator, f"DROP VIEW {name}")


@pytest.fixture
def memory_table(adbc_conn, unique_name):
    """An empty `(a BIGINT, b VARCHAR)` memory table, dropped afterwards."""
    name = unique_name("m")
    execute(adbc_conn, f"CREATE TABLE {name} (a BIGINT, b VARCHAR)")
    yield name
    execute(adbc_conn, f"DROP TABLE IF EXISTS {name}")


def test_insert_into_a_memory_table_stores_the_rows(adbc_conn, memory_table):
    execute(adbc_conn, f"INSERT INTO {memory_table} VALUES (1, 'x')")
    execute(adbc_conn, f"INSERT INTO {memory_table} VALUES (2, 'y'), (3, 'z')")
    assert query_rows(adbc_conn, f"SELECT a, b FROM {memory_table} ORDER BY a") == [(1, "x"), (2, "y"), (3, "z")]


@pytest.mark.parametrize(
    "source, rows",
    [("VALUES (1, 'x')", 1), ("VALUES (2, 'y'), (3, 'z')", 2), ("SELECT n_nationkey, n_name FROM nation", 25)],
)
def test_insert_through_cursor_execute_reports_the_rows_inserted(adbc_conn, memory_table, source, rows):
    assert insert_count(adbc_conn, f"INSERT INTO {memory_table} {source}") == rows


def test_insert_through_execute_update_reports_the_rows_inserted(adbc_conn, memory_table):
    with adbc_conn.cursor() as cur:
        cur.adbc_statement.set_sql_query(f"INSERT INTO {memory_table} VALUES (1, 'x'), (2, 'y')")
        assert cur.adbc_statement.execute_update() == 2


def test_rows_inserted_in_one_session_are_visible_from_another(connect_adbc, memory_table):
    writer, reader = connect_adbc(), connect_adbc()
    execute(writer, f"INSERT INTO {memory_table} VALUES (7, 'seven')")
    assert query_rows(reader, f"SELECT a, b FROM {memory_table}") == [(7, "seven")]


def test_insert_select_copies_rows(adbc_conn, memory_table):
    execute(adbc_conn, f"INSERT INTO {memory_table} SELECT n_nationkey, n_name FROM nation")
    assert query_rows(adbc_conn, f"SELECT count(*), min(b) FROM {memory_table}") == [(25, "ALGERIA")]


def test_dropped_table_can_no_longer_be_queried(connect_adbc, unique_name):
    conn, other = connect_adbc(), connect_adbc()
    name = unique_name("doomed")
    execute(conn, f"CREATE TABLE {name} AS SELECT 1 AS x")
    execute(conn, f"DROP TABLE {name}")
    with pytest.raises(adbc_driver_manager.Error) as raised:
        query_rows(other, f"SELECT * FROM {name}")
    assert name in str(raised.value)


def test_drop_table_if_exists_on_a_missing_table_succeeds(adbc_conn, unique_name):
    execute(adbc_conn, f"DROP TABLE IF EXISTS {unique_name('missing')}")


def test_creating_an_existing_table_raises(adbc_conn, unique_name):
    name = unique_name("twice")
    execute(adbc_conn, f"CREATE TABLE {name} AS SELECT 1 AS x")
    with pytest.raises(adbc_driver_manager.Error) as raised:
        execute(adbc_conn, f"CREATE TABLE {name} AS SELECT 2 AS x")
    assert name in str(raised.value)
    execute(adbc_conn, f"DROP TABLE {name}")


def test_external_parquet_table_reads_a_file_written_by_pyarrow(connect_adbc, unique_name, tmp_path):
    path = tmp_path / "people.parquet"
    pq.write_table(
        pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["ann", "bob", "cy"], "score": [1.5, 2.5, None]}),
        path,
    )
    creator, reader = connect_adbc(), connect_adbc()
    name = unique_name("people")
    execute(creator, f"CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{path}'")
    assert query_rows(reader, f"SELECT id, name, score FROM {name} ORDER BY id") == [
        (1, "ann", 1.5),
        (2, "bob", 2.5),
        (3, "cy", None),
    ]
    execute(creator, f"DROP TABLE {name}")


def test_created_tables_show_up_in_adbc_metadata(adbc_conn, unique_name):
    name = unique_name("listed")
    execute(adbc_conn, f"CREATE TABLE {name} (a INT, b VARCHAR)")
    schema = adbc_conn.adbc_get_table_schema(name)
    assert schema.names == ["a", "b"]
    assert schema.field("b").type == pa.string()
    execute(adbc_conn, f"DROP TABLE {name}")
