"""Authentication: off without users; Handshake basic auth with `--user alice:secret`."""

import adbc_driver_manager
import pyarrow.flight as flight
import pytest
from flightsql import connect as flightsql_connect

from helpers import PASSWORD, USER, adbc_connect, execute, flightsql_client, query_value, show_setting


def select_one_over_adbc(uri, username=None, password=None):
    conn = adbc_connect(uri, username, password)
    try:
        return query_value(conn, "SELECT 1")
    finally:
        conn.close()


def assert_unauthenticated(error: Exception):
    assert "unauthenticated" in str(error).lower(), f"expected an Unauthenticated error, got: {error}"


# --- auth off -------------------------------------------------------------------------------------


def test_adbc_without_credentials_can_query_when_auth_is_off(server):
    assert select_one_over_adbc(server.uri) == 1


def test_flightsql_dbapi_bearer_none_header_is_ignored_when_auth_is_off(fsql_conn):
    with fsql_conn.cursor() as cur:
        cur.execute("SELECT 1 AS one")
        assert cur.fetchall() == [[1]]


# --- auth on --------------------------------------------------------------------------------------


def test_adbc_with_the_right_password_can_query(auth_server):
    assert select_one_over_adbc(auth_server.uri, USER, PASSWORD) == 1


def test_adbc_with_a_wrong_password_is_unauthenticated(auth_server):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        select_one_over_adbc(auth_server.uri, USER, "wrong")
    assert_unauthenticated(raised.value)


def test_adbc_with_an_unknown_user_is_unauthenticated(auth_server):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        select_one_over_adbc(auth_server.uri, "mallory", PASSWORD)
    assert_unauthenticated(raised.value)


def test_adbc_without_credentials_is_rejected_when_auth_is_on(auth_server):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        select_one_over_adbc(auth_server.uri)
    assert_unauthenticated(raised.value)


def test_server_keeps_serving_after_a_failed_login(auth_server):
    with pytest.raises(adbc_driver_manager.Error):
        select_one_over_adbc(auth_server.uri, USER, "wrong")
    assert select_one_over_adbc(auth_server.uri, USER, PASSWORD) == 1


def test_flightsql_dbapi_with_the_right_password_can_query(auth_server):
    client = flightsql_client(auth_server, USER, PASSWORD)
    try:
        with flightsql_connect(client).cursor() as cur:
            cur.execute("SELECT 2 AS two")
            assert cur.fetchall() == [[2]]
    finally:
        client.close()


def test_flightsql_dbapi_with_a_wrong_password_is_unauthenticated(auth_server):
    with pytest.raises(flight.FlightUnauthenticatedError):
        flightsql_client(auth_server, USER, "wrong")


def test_flightsql_dbapi_bearer_none_is_rejected_when_auth_is_on(auth_server):
    client = flightsql_client(auth_server)
    try:
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.execute("SELECT 1")
    finally:
        client.close()


def test_authenticated_connections_get_separate_sessions(auth_server):
    first = adbc_connect(auth_server.uri, USER, PASSWORD)
    second = adbc_connect(auth_server.uri, USER, PASSWORD)
    try:
        execute(first, "SET datafusion.execution.batch_size = 777")
        assert show_setting(first, "datafusion.execution.batch_size") == "777"
        assert show_setting(second, "datafusion.execution.batch_size") == "8192"
    finally:
        first.close()
        second.close()
