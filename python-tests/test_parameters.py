"""Prepared statements with bound parameters, from ADBC (`?` and `$1`) and flightsql-dbapi (dense unions)."""

import datetime
import uuid

import pytest

from helpers import query_rows


# --- ADBC: the driver sends a 1-row batch with fields "0", "1", ... typed from the Python values ----


def test_adbc_question_mark_binds_an_integer(adbc_conn):
    assert query_rows(adbc_conn, "SELECT n_name FROM nation WHERE n_nationkey = ?", (3,)) == [("CANADA",)]


def test_adbc_dollar_placeholder_binds_an_integer(adbc_conn):
    assert query_rows(adbc_conn, "SELECT n_name FROM nation WHERE n_nationkey = $1", (3,)) == [("CANADA",)]


def test_adbc_binds_a_string(adbc_conn):
    assert query_rows(adbc_conn, "SELECT n_nationkey FROM nation WHERE n_name = ?", ("JAPAN",)) == [(12,)]


def test_adbc_binds_a_float(adbc_conn):
    rows = query_rows(adbc_conn, "SELECT count(*) FROM lineitem WHERE l_discount > ?", (0.09,))
    expected = query_rows(adbc_conn, "SELECT count(*) FROM lineitem WHERE l_discount > 0.09")
    assert rows == expected
    assert rows[0][0] > 0


def test_adbc_binds_several_parameters_of_mixed_types(adbc_conn):
    rows = query_rows(
        adbc_conn,
        "SELECT n_name FROM nation WHERE n_regionkey = $1 AND n_name <> $2 AND n_nationkey < $3 ORDER BY n_name",
        (2, "CHINA", 100.0),
    )
    assert rows == [("INDIA",), ("INDONESIA",), ("JAPAN",), ("VIETNAM",)]


def test_adbc_parameter_can_be_selected_directly(adbc_conn):
    assert query_rows(adbc_conn, "SELECT $1 + 1 AS next", (41,)) == [(42,)]


def test_adbc_re_executing_with_new_parameters_gives_new_results(adbc_conn):
    with adbc_conn.cursor() as cur:
        sql = "SELECT n_name FROM nation WHERE n_nationkey = ?"
        cur.execute(sql, (1,))
        assert cur.fetchall() == [("ARGENTINA",)]
        cur.execute(sql, (2,))
        assert cur.fetchall() == [("BRAZIL",)]


def test_adbc_executemany_inserts_every_row(connect_adbc):
    conn = connect_adbc()
    name = f"params_many_{uuid.uuid4().hex[:8]}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (a BIGINT, b VARCHAR)")
        cur.fetchall()
        cur.executemany(f"INSERT INTO {name} VALUES (?, ?)", [(1, "one"), (2, "two"), (3, "three")])
    assert query_rows(conn, f"SELECT a, b FROM {name} ORDER BY a") == [(1, "one"), (2, "two"), (3, "three")]
    query_rows(conn, f"DROP TABLE {name}")


# --- flightsql-dbapi: every parameter is a 1-row dense_union<int64, float64, utf8, binary, bool> ---


def fsql_rows(conn, sql, params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_flightsql_dbapi_binds_an_integer(fsql_conn):
    assert fsql_rows(fsql_conn, "SELECT n_name FROM nation WHERE n_nationkey = ?", (3,)) == [["CANADA"]]


def test_flightsql_dbapi_binds_a_string(fsql_conn):
    assert fsql_rows(fsql_conn, "SELECT n_nationkey FROM nation WHERE n_name = ?", ("JAPAN",)) == [[12]]


def test_flightsql_dbapi_binds_a_float(fsql_conn, adbc_conn):
    expected = query_rows(adbc_conn, "SELECT count(*) FROM lineitem WHERE l_discount > 0.09")[0][0]
    assert fsql_rows(fsql_conn, "SELECT count(*) FROM lineitem WHERE l_discount > ?", (0.09,)) == [[expected]]


def test_flightsql_dbapi_binds_several_parameters_of_mixed_types(fsql_conn):
    rows = fsql_rows(
        fsql_conn,
        "SELECT n_name FROM nation WHERE n_regionkey = ? AND n_name <> ? AND n_nationkey < ? ORDER BY n_name",
        (2, "CHINA", 100.0),
    )
    assert rows == [["INDIA"], ["INDONESIA"], ["JAPAN"], ["VIETNAM"]]


@pytest.mark.parametrize("value, expected", [(True, [[1]]), (False, [])])
def test_flightsql_dbapi_binds_a_boolean(fsql_conn, value, expected):
    assert fsql_rows(fsql_conn, "SELECT 1 WHERE ?", (value,)) == expected


def test_adbc_binds_a_date(adbc_conn):
    rows = query_rows(adbc_conn, "SELECT count(*) FROM lineitem WHERE l_shipdate = ?", (datetime.date(1995, 1, 1),))
    assert rows == query_rows(adbc_conn, "SELECT count(*) FROM lineitem WHERE l_shipdate = DATE '1995-01-01'")


def test_adbc_binds_null(adbc_conn):
    assert query_rows(adbc_conn, "SELECT ? IS NULL", (None,)) == [(True,)]
