"""ADBC's execute_schema, which asks GetSchema: the result's schema without running anything."""

import pyarrow as pa

from helpers import query_value


def test_a_querys_schema_comes_without_running_it(adbc_conn):
    with adbc_conn.cursor() as cur:
        schema = cur.adbc_execute_schema("SELECT n_name, n_nationkey, CAST(1.5 AS DECIMAL(10,2)) AS d FROM nation")
    assert schema.names == ["n_name", "n_nationkey", "d"]
    assert schema.field("n_nationkey").type == pa.int64()
    assert schema.field("d").type == pa.decimal128(10, 2)


def test_a_commands_schema_is_empty_and_the_command_does_not_run(adbc_conn):
    with adbc_conn.cursor() as cur:
        schema = cur.adbc_execute_schema("CREATE TABLE never_created AS SELECT 1 AS x")
    assert len(schema) == 0
    assert query_value(adbc_conn, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'never_created'") == 0
