"""Query results over ADBC: fetch styles, types, large and empty results, errors."""

import datetime
import decimal

import adbc_driver_manager
import pyarrow as pa
import pytest

from helpers import query_rows, query_table, query_value


def test_select_literal_returns_one_row(adbc_conn):
    assert query_rows(adbc_conn, "SELECT 1 AS one, 'two' AS two") == [(1, "two")]


def test_fetchone_walks_the_rows_then_returns_none(adbc_conn):
    with adbc_conn.cursor() as cur:
        cur.execute("SELECT r_regionkey, r_name FROM region ORDER BY r_regionkey")
        assert cur.fetchone() == (0, "AFRICA")
        assert cur.fetchone() == (1, "AMERICA")
        assert len(cur.fetchall()) == 3
        assert cur.fetchone() is None


def test_fetchall_returns_every_row(adbc_conn):
    rows = query_rows(adbc_conn, "SELECT n_nationkey, n_name FROM nation ORDER BY n_nationkey")
    assert len(rows) == 25
    assert rows[0] == (0, "ALGERIA")
    assert rows[24] == (24, "UNITED STATES")


def test_fetch_arrow_table_returns_the_whole_result(adbc_conn):
    table = query_table(adbc_conn, "SELECT * FROM region ORDER BY r_regionkey")
    assert table.column_names == ["r_regionkey", "r_name", "r_comment"]
    assert table.column("r_name").to_pylist() == ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]


def test_description_names_the_result_columns(adbc_conn):
    with adbc_conn.cursor() as cur:
        cur.execute("SELECT n_nationkey AS key, n_name AS name FROM nation LIMIT 1")
        assert [column[0] for column in cur.description] == ["key", "name"]
        cur.fetchall()


def test_execute_schema_describes_a_query_without_fetching_it(adbc_conn):
    with adbc_conn.cursor() as cur:
        schema = cur.adbc_execute_schema("SELECT n_nationkey, n_name FROM nation")
    assert schema.names == ["n_nationkey", "n_name"]
    assert [field.type for field in schema] == [pa.int64(), pa.string()]


def test_string_columns_come_back_as_utf8_not_utf8_view(adbc_conn):
    table = query_table(adbc_conn, "SELECT n_name, 'literal' AS lit, upper(n_comment) AS up FROM nation LIMIT 3")
    assert [field.type for field in table.schema] == [pa.string(), pa.string(), pa.string()]


def test_table_columns_keep_their_tpch_types(adbc_conn):
    table = query_table(adbc_conn, "SELECT l_orderkey, l_quantity, l_shipdate, l_shipmode FROM lineitem LIMIT 1")
    assert [field.type for field in table.schema] == [pa.int64(), pa.decimal128(15, 2), pa.date32(), pa.string()]
    row = table.to_pylist()[0]
    assert isinstance(row["l_quantity"], decimal.Decimal)
    assert isinstance(row["l_shipdate"], datetime.date)


def test_large_result_streams_every_row(adbc_conn, oracle):
    expected = oracle.sql("SELECT count(*) AS n FROM lineitem").to_arrow_table().column("n")[0].as_py()
    table = query_table(adbc_conn, "SELECT * FROM lineitem")
    assert table.num_rows == expected
    assert table.num_columns == 16


def test_empty_result_keeps_its_schema(adbc_conn):
    table = query_table(adbc_conn, "SELECT n_nationkey, n_name FROM nation WHERE n_nationkey < 0")
    assert table.num_rows == 0
    assert table.schema.names == ["n_nationkey", "n_name"]
    assert table.schema.field("n_name").type == pa.string()


def test_nulls_come_back_as_none(adbc_conn):
    assert query_rows(adbc_conn, "SELECT CAST(NULL AS INT) AS a, CAST(NULL AS VARCHAR) AS b") == [(None, None)]


def test_the_same_cursor_can_run_several_queries(adbc_conn):
    with adbc_conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchall() == [(1,)]
        cur.execute("SELECT 2")
        assert cur.fetchall() == [(2,)]
        cur.execute("SELECT 2")
        assert cur.fetchall() == [(2,)]


def test_aggregation_over_a_join_runs(adbc_conn):
    rows = query_rows(
        adbc_conn,
        "SELECT r_name, count(*) AS nations FROM nation JOIN region ON n_regionkey = r_regionkey "
        "GROUP BY r_name ORDER BY r_name",
    )
    assert rows == [("AFRICA", 5), ("AMERICA", 5), ("ASIA", 5), ("EUROPE", 5), ("MIDDLE EAST", 5)]


# --- errors ---------------------------------------------------------------------------------------


def test_syntax_error_raises_with_datafusions_message(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        query_rows(adbc_conn, "SELEC 1")
    assert "SELEC" in str(raised.value)


def test_unknown_table_raises_naming_the_table(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        query_rows(adbc_conn, "SELECT * FROM no_such_table")
    assert "no_such_table" in str(raised.value)


def test_unknown_column_raises_naming_the_column(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        query_rows(adbc_conn, "SELECT no_such_column FROM nation")
    assert "no_such_column" in str(raised.value)


def test_errors_are_programming_or_database_errors(adbc_conn):
    with pytest.raises(adbc_driver_manager.DatabaseError):
        query_rows(adbc_conn, "SELECT * FROM no_such_table")


def test_connection_keeps_working_after_an_error(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error):
        query_rows(adbc_conn, "SELEC 1")
    assert query_value(adbc_conn, "SELECT 42") == 42


def test_a_failed_query_does_not_affect_other_connections(connect_adbc):
    failing, healthy = connect_adbc(), connect_adbc()
    with pytest.raises(adbc_driver_manager.Error):
        query_rows(failing, "SELECT * FROM no_such_table")
    assert query_value(healthy, "SELECT count(*) FROM region") == 5


def test_runtime_error_is_reported(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error):
        query_rows(adbc_conn, "SELECT CAST('not a number' AS INT)")
    assert query_value(adbc_conn, "SELECT 1") == 1
