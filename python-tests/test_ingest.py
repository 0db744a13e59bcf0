"""Bulk ingest (Flight SQL CommandStatementIngest) from ADBC's adbc_ingest and pandas' to_sql.

Each mode ADBC offers (create, append, replace, create_append) is checked by reading the table
back over SQL; refusals (an existing table for create, a missing one for append, a schema that
does not fit, a temporary table) must be clear errors that leave the server serving.
"""

import uuid

import adbc_driver_manager
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import execute, query_rows, query_value


def table_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def people(ids, names=None) -> pa.Table:
    names = names or [f"p{i}" for i in ids]
    return pa.table({"id": pa.array(ids, pa.int64()), "name": pa.array(names, pa.string())})


def ingest(conn, name: str, data, mode: str, **options) -> int:
    with conn.cursor() as cur:
        return cur.adbc_ingest(name, data, mode=mode, **options)


def test_create_makes_a_table_with_the_uploads_rows_and_types(adbc_conn):
    name = table_name("ingested")
    assert ingest(adbc_conn, name, people([1, 2, 3]), "create") == 3
    assert query_rows(adbc_conn, f"SELECT id, name FROM {name} ORDER BY id") == [(1, "p1"), (2, "p2"), (3, "p3")]
    schema = adbc_conn.adbc_get_table_schema(name)
    assert schema.field("id").type == pa.int64()
    assert schema.field("name").type == pa.string()
    execute(adbc_conn, f"DROP TABLE {name}")


def test_append_adds_to_the_table_and_another_session_sees_it(connect_adbc):
    writer, reader = connect_adbc(), connect_adbc()
    name = table_name("appended")
    ingest(writer, name, people([1, 2]), "create")
    assert ingest(writer, name, people([3, 4, 5]), "append") == 3
    assert query_value(reader, f"SELECT count(*) FROM {name}") == 5
    assert query_value(reader, f"SELECT sum(id) FROM {name}") == 15
    execute(writer, f"DROP TABLE {name}")


def test_replace_keeps_only_the_new_rows_and_create_append_creates_or_appends(adbc_conn):
    name = table_name("replaced")
    ingest(adbc_conn, name, people([1, 2, 3]), "create")
    assert ingest(adbc_conn, name, people([7]), "replace") == 1
    assert query_rows(adbc_conn, f"SELECT id FROM {name}") == [(7,)]
    fresh = table_name("created_or_appended")
    ingest(adbc_conn, fresh, people([1]), "create_append")
    ingest(adbc_conn, fresh, people([2]), "create_append")
    assert query_value(adbc_conn, f"SELECT count(*) FROM {fresh}") == 2
    execute(adbc_conn, f"DROP TABLE {name}")
    execute(adbc_conn, f"DROP TABLE {fresh}")


def test_an_upload_of_many_batches_arrives_whole(adbc_conn):
    name = table_name("batched")
    batches = [pa.record_batch([pa.array(range(i * 10_000, (i + 1) * 10_000), pa.int64())], names=["v"]) for i in range(30)]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    assert ingest(adbc_conn, name, reader, "create") == 300_000
    assert query_rows(adbc_conn, f"SELECT count(*), sum(v), count(DISTINCT v) FROM {name}") == [
        (300_000, sum(range(300_000)), 300_000)
    ]
    execute(adbc_conn, f"DROP TABLE {name}")


def test_pandas_to_sql_over_an_adbc_connection_ingests_the_frame(adbc_conn):
    name = table_name("from_pandas")
    frame = pd.DataFrame({"id": [1, 2, 3], "score": [1.5, None, 3.25], "tag": ["a", "b", None]})
    frame.to_sql(name, adbc_conn, index=False)
    assert query_rows(adbc_conn, f"SELECT id, score, tag FROM {name} ORDER BY id") == [
        (1, 1.5, "a"),
        (2, None, "b"),
        (3, 3.25, None),
    ]
    execute(adbc_conn, f"DROP TABLE {name}")


def test_appending_to_an_external_parquet_table_writes_files_beside_its_own(adbc_conn, tmp_path):
    directory = tmp_path / "people"
    directory.mkdir()
    pq.write_table(people([1, 2]), directory / "first.parquet")
    name = table_name("external")
    execute(adbc_conn, f"CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{directory}/'")
    assert ingest(adbc_conn, name, people([3]), "append") == 1
    assert query_rows(adbc_conn, f"SELECT id FROM {name} ORDER BY id") == [(1,), (2,), (3,)]
    assert len(list(directory.glob("*.parquet"))) == 2
    execute(adbc_conn, f"DROP TABLE {name}")


def test_refusals_are_clear_and_the_session_keeps_working(adbc_conn):
    name = table_name("refused")
    ingest(adbc_conn, name, people([1]), "create")
    with pytest.raises(adbc_driver_manager.Error, match="already exists"):
        ingest(adbc_conn, name, people([2]), "create")
    with pytest.raises(adbc_driver_manager.Error, match="does not exist"):
        ingest(adbc_conn, table_name("missing"), people([2]), "append")
    wrong = pa.table({"other": pa.array([1.5], pa.float64())})
    with pytest.raises(adbc_driver_manager.Error, match="schema"):
        ingest(adbc_conn, name, wrong, "append")
    with pytest.raises(adbc_driver_manager.Error, match="temporary"):
        ingest(adbc_conn, table_name("temp"), people([1]), "create", temporary=True)
    assert query_value(adbc_conn, f"SELECT count(*) FROM {name}") == 1
    execute(adbc_conn, f"DROP TABLE {name}")


def test_a_failed_upload_leaves_no_table_it_created(adbc_conn):
    name = table_name("half_loaded")
    # A column declared NOT NULL that holds a NULL: the server cannot decode the batch.
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False)])
    broken = pa.Table.from_arrays([pa.array([1, None, 3], pa.int64())], schema=schema)
    with pytest.raises(adbc_driver_manager.Error, match="non-nullable"):
        ingest(adbc_conn, name, broken, "create")
    assert ingest(adbc_conn, name, people([1]), "create") == 1
    execute(adbc_conn, f"DROP TABLE {name}")


def test_columns_of_another_type_are_cast_like_insert_or_refused_clearly(adbc_conn):
    name = table_name("cast")
    ingest(adbc_conn, name, people([1]), "create")
    as_int32 = pa.table({"id": pa.array([2], pa.int32()), "name": pa.array(["p2"], pa.string_view())})
    assert ingest(adbc_conn, name, as_int32, "append") == 1
    assert query_rows(adbc_conn, f"SELECT id, name FROM {name} ORDER BY id") == [(1, "p1"), (2, "p2")]
    not_a_number = pa.table({"id": pa.array(["x"], pa.string()), "name": pa.array(["p3"], pa.string())})
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="Cannot cast string 'x'"):
        ingest(adbc_conn, name, not_a_number, "append")
    assert query_value(adbc_conn, f"SELECT count(*) FROM {name}") == 2
    execute(adbc_conn, f"DROP TABLE {name}")


def test_an_undecodable_upload_is_the_clients_error(adbc_conn):
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False)])
    broken = pa.Table.from_arrays([pa.array([1, None], pa.int64())], schema=schema)
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="cannot read the upload"):
        ingest(adbc_conn, table_name("undecodable"), broken, "create")
