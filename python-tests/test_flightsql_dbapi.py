"""flightsql-dbapi 0.2.x: plain CommandStatementQuery, updates, metadata commands, errors.

This client never keeps a session: without credentials it sends `authorization: Bearer None`
on every call, and it only reads `endpoints[0]` of each FlightInfo.
"""

import pyarrow as pa
import pytest
from flightsql import TableRef

from helpers import TPCH_TABLES, flight_read_all

LINEITEM = TableRef(catalog="datafusion", db_schema="public", table="lineitem")
ORDERS = TableRef(catalog="datafusion", db_schema="public", table="orders")


def run_query(client, sql) -> pa.Table:
    return flight_read_all(client, client.execute(sql))


# --- queries --------------------------------------------------------------------------------------


def test_statement_query_returns_an_arrow_table(fsql_client):
    table = run_query(fsql_client, "SELECT r_regionkey, r_name FROM region ORDER BY r_regionkey")
    assert table.column("r_name").to_pylist() == ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
    assert table.schema.field("r_name").type == pa.string()


def test_statement_query_streams_a_large_result(fsql_client, oracle):
    expected = oracle.sql("SELECT count(*) AS n FROM orders").to_arrow_table().column("n")[0].as_py()
    assert run_query(fsql_client, "SELECT * FROM orders").num_rows == expected


def test_dbapi_cursor_fetchall_and_description(fsql_conn):
    with fsql_conn.cursor() as cur:
        cur.execute("SELECT n_nationkey, n_name FROM nation ORDER BY n_nationkey LIMIT 2")
        assert [column[0] for column in cur.description] == ["n_nationkey", "n_name"]
        assert cur.fetchall() == [[0, "ALGERIA"], [1, "ARGENTINA"]]


def test_dbapi_cursor_fetchone(fsql_conn):
    with fsql_conn.cursor() as cur:
        cur.execute("SELECT r_name FROM region ORDER BY r_name")
        assert cur.fetchone() == ["AFRICA"]
        assert cur.fetchone() == ["AMERICA"]


def test_execute_update_creates_and_fills_a_table(fsql_client):
    fsql_client.execute_update("CREATE TABLE fsql_updates (a INT, b VARCHAR)")
    assert fsql_client.execute_update("INSERT INTO fsql_updates VALUES (1, 'x'), (2, 'y')") == 2
    assert run_query(fsql_client, "SELECT a, b FROM fsql_updates ORDER BY a").to_pylist() == [
        {"a": 1, "b": "x"},
        {"a": 2, "b": "y"},
    ]
    fsql_client.execute_update("DROP TABLE fsql_updates")


# --- errors ---------------------------------------------------------------------------------------
# flightsql-dbapi does not wrap errors in its DB-API exceptions: pyarrow raises them, mapping gRPC
# codes to its own classes (INVALID_ARGUMENT -> ArrowInvalid, NOT_FOUND -> ArrowKeyError,
# UNAUTHENTICATED -> FlightUnauthenticatedError, ...), all subclasses of pa.ArrowException.


def test_bad_sql_raises_an_arrow_error_with_datafusions_message(fsql_client):
    with pytest.raises(pa.ArrowException) as raised:
        run_query(fsql_client, "SELECT * FROM no_such_table")
    assert "no_such_table" in str(raised.value)


def test_syntax_error_raises_and_the_next_query_works(fsql_conn):
    with pytest.raises(pa.ArrowException) as raised:
        fsql_conn.execute("SELEC 1")
    assert "SELEC" in str(raised.value)
    with fsql_conn.cursor() as cur:
        cur.execute("SELECT 5")
        assert cur.fetchall() == [[5]]


# --- metadata commands ----------------------------------------------------------------------------


def test_get_catalogs_lists_datafusion(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_catalogs())
    assert "datafusion" in table.column("catalog_name").to_pylist()


def test_get_db_schemas_lists_public_in_datafusion(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_db_schemas(catalog="datafusion"))
    assert table.column_names == ["catalog_name", "db_schema_name"]
    assert "public" in table.column("db_schema_name").to_pylist()
    assert set(table.column("catalog_name").to_pylist()) == {"datafusion"}


def test_get_tables_lists_the_tpch_tables(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_tables(catalog="datafusion", db_schema_filter_pattern="public"))
    assert set(TPCH_TABLES) <= set(table.column("table_name").to_pylist())


def test_get_tables_with_schema_carries_the_table_schema(fsql_client, tpch_parquet_dir):
    import pyarrow.parquet as pq

    info = fsql_client.get_tables(include_schema=True, table_name_filter_pattern="lineitem")
    table = flight_read_all(fsql_client, info)
    assert table.column("table_name").to_pylist() == ["lineitem"]
    schema = pa.ipc.read_schema(pa.py_buffer(table.column("table_schema")[0].as_py()))
    assert schema.names == pq.read_schema(tpch_parquet_dir / "lineitem.parquet").names


def test_get_table_types_is_not_empty(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_table_types())
    assert table.column_names == ["table_type"]
    assert table.num_rows > 0


def test_get_sql_info_names_trebuchet(fsql_conn):
    info = fsql_conn.flightsql_get_sql_info([0, 1, 2])
    assert info[0] == "Trebuchet"
    assert isinstance(info[1], str) and info[1]


def test_get_xdbc_type_info_answers_with_the_standard_columns(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_xdbc_type_info(None))
    assert {"type_name", "data_type", "nullable"} <= set(table.column_names)


def test_get_primary_keys_is_empty(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_primary_keys(LINEITEM))
    assert "column_name" in table.column_names
    assert table.num_rows == 0


def test_get_exported_keys_is_empty(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_exported_keys(ORDERS))
    assert "fk_table_name" in table.column_names
    assert table.num_rows == 0


def test_get_imported_keys_is_empty(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_imported_keys(LINEITEM))
    assert "pk_table_name" in table.column_names
    assert table.num_rows == 0


def test_get_cross_reference_is_empty(fsql_client):
    table = flight_read_all(fsql_client, fsql_client.get_cross_reference(pk_table=ORDERS, fk_table=LINEITEM))
    assert {"pk_table_name", "fk_table_name"} <= set(table.column_names)
    assert table.num_rows == 0


# --- the DB-API connection's convenience helpers (built on the commands above) -------------------


def test_dbapi_lists_table_names(fsql_conn):
    assert set(TPCH_TABLES) <= set(fsql_conn.flightsql_get_table_names(schema="public"))


def test_dbapi_lists_schema_names(fsql_conn):
    assert "public" in fsql_conn.flightsql_get_schema_names()


def test_dbapi_describes_the_columns_of_a_table(fsql_conn):
    columns = fsql_conn.flightsql_get_columns("nation", schema="public")
    assert [column["name"] for column in columns] == ["n_nationkey", "n_name", "n_regionkey", "n_comment"]
