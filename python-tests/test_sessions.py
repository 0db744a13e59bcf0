"""Sessions and settings: each ADBC connection is its own session; SET/SHOW per session."""

import adbc_driver_manager
import pytest

from helpers import execute, query_table, show_setting

BATCH_SIZE = "datafusion.execution.batch_size"

SERVER_DEFAULTS = {
    "datafusion.execution.batch_size": "8192",
    "datafusion.execution.target_partitions": "16",
    "datafusion.optimizer.prefer_hash_join": "false",
    "ballista.shuffle.sort_based.enabled": "true",
    "ballista.shuffle.sort_based.buffer_size": "1048576",
    "ballista.shuffle.sort_based.memory_limit": "268435456",
    "ballista.shuffle.sort_based.spill_threshold": "0.8",
    "ballista.shuffle.sort_based.batch_size": "8192",
    "ballista.planner.adaptive.enabled": "false",
}


def test_show_answers_one_row_with_name_and_value_columns(adbc_conn):
    table = query_table(adbc_conn, f"SHOW {BATCH_SIZE}")
    assert table.column_names == ["name", "value"]
    assert table.to_pylist() == [{"name": BATCH_SIZE, "value": "8192"}]


def test_set_is_visible_in_the_same_connection(adbc_conn):
    execute(adbc_conn, f"SET {BATCH_SIZE} = 1234")
    assert show_setting(adbc_conn, BATCH_SIZE) == "1234"


def test_set_does_not_leak_into_another_connection(connect_adbc):
    first, second = connect_adbc(), connect_adbc()
    execute(first, f"SET {BATCH_SIZE} = 1234")
    assert show_setting(first, BATCH_SIZE) == "1234"
    assert show_setting(second, BATCH_SIZE) == "8192"


def test_set_in_one_connection_leaves_new_connections_at_the_default(connect_adbc):
    execute(connect_adbc(), f"SET {BATCH_SIZE} = 4321")
    assert show_setting(connect_adbc(), BATCH_SIZE) == "8192"


@pytest.mark.parametrize("key, default", SERVER_DEFAULTS.items())
def test_new_session_has_the_server_default(adbc_conn, key, default):
    assert show_setting(adbc_conn, key) == default


def test_ballista_settings_can_be_changed_per_session(connect_adbc):
    first, second = connect_adbc(), connect_adbc()
    execute(first, "SET ballista.shuffle.sort_based.enabled = false")
    assert show_setting(first, "ballista.shuffle.sort_based.enabled") == "false"
    assert show_setting(second, "ballista.shuffle.sort_based.enabled") == "true"


def test_prefer_hash_join_can_be_turned_on_per_session(adbc_conn):
    execute(adbc_conn, "SET datafusion.optimizer.prefer_hash_join = true")
    assert show_setting(adbc_conn, "datafusion.optimizer.prefer_hash_join") == "true"


@pytest.mark.parametrize("key", ["datafusion.nope", "ballista.nope"])
def test_setting_an_unknown_key_raises(adbc_conn, key):
    with pytest.raises(adbc_driver_manager.Error) as raised:
        execute(adbc_conn, f"SET {key} = 1")
    assert "nope" in str(raised.value)


def test_session_still_works_after_a_rejected_set(adbc_conn):
    with pytest.raises(adbc_driver_manager.Error):
        execute(adbc_conn, "SET datafusion.nope = 1")
    assert show_setting(adbc_conn, BATCH_SIZE) == "8192"


def test_show_all_lists_datafusion_and_ballista_keys(adbc_conn):
    table = query_table(adbc_conn, "SHOW ALL")
    assert table.column_names[:2] == ["name", "value"]
    settings = dict(zip(table.column("name").to_pylist(), table.column("value").to_pylist()))
    assert settings[BATCH_SIZE] == "8192"
    assert settings["datafusion.execution.target_partitions"] == "16"
    assert settings["ballista.shuffle.sort_based.enabled"] == "true"
    assert settings["ballista.shuffle.sort_based.spill_threshold"] == "0.8"


def test_show_all_reflects_the_sessions_own_settings(adbc_conn):
    execute(adbc_conn, f"SET {BATCH_SIZE} = 2048")
    table = query_table(adbc_conn, "SHOW ALL")
    settings = dict(zip(table.column("name").to_pylist(), table.column("value").to_pylist()))
    assert settings[BATCH_SIZE] == "2048"
