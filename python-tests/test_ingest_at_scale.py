"""Bulk ingest at scale: 10M rows streamed through adbc_ingest as a RecordBatchReader.

The rows are generated batch by batch, so the client never holds the whole upload; each test
starts a server of its own so that the server's peak resident memory (VmHWM) reflects this
upload alone. The figures are printed (run with `-s` to see them) and recorded as test
properties. An in-memory table keeps every row it receives, so its peak grows with the
upload; an external Parquet table writes the rows out, so its peak must not.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers import TrebuchetServer, adbc_connect, execute, query_rows

ROWS = 10_000_000
BATCH_ROWS = 100_000
TAGS = pa.array([f"tag-{k:04d}" for k in range(1000)], pa.string())
SCHEMA = pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("tag", pa.string())])
MIB = 1024 * 1024


def generated_batches(rows: int):
    """`rows` rows as batches of BATCH_ROWS: id = row number, amount = id / 4, tag = tag-(id % 1000)."""
    for start in range(0, rows, BATCH_ROWS):
        ids = pa.array(range(start, min(start + BATCH_ROWS, rows)), pa.int64())
        amounts = pc.divide(pc.cast(ids, pa.float64()), 4.0)
        tags = TAGS.take(pc.remainder(ids, 1000))
        yield pa.record_batch([ids, amounts, tags], schema=SCHEMA)


def upload(rows: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(SCHEMA, generated_batches(rows))


def expected_totals(rows: int) -> tuple:
    """count(*), sum(id), sum(amount), count(DISTINCT tag) of the generated rows, computed
    from the formula. Every amount is a multiple of 1/4 far below 2**50, so its sum is exact
    in float64 whatever the order of addition."""
    id_sum = rows * (rows - 1) // 2
    return (rows, id_sum, id_sum / 4, min(rows, 1000))


def totals(conn, table: str) -> tuple:
    return query_rows(conn, f"SELECT count(*), sum(id), sum(amount), count(DISTINCT tag) FROM {table}")[0]


def memory_mib(pid: int, field: str) -> float:
    """`VmHWM` (peak resident) or `VmRSS` of a process, in MiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    pytest.fail(f"no {field} in /proc/{pid}/status")


@pytest.fixture
def own_server(trebuchet_bin, tmp_path):
    """A server for this test only (no TPC-H data), allowed to write under `tmp_path`."""
    srv = TrebuchetServer(
        trebuchet_bin,
        ["standalone", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0", "--allow-path", str(tmp_path)],
    )
    srv.start()
    yield srv
    srv.stop()


def ingest_and_measure(srv: TrebuchetServer, table: str, mode: str, record_property) -> float:
    """Streams ROWS rows into `table`; returns the growth of the server's peak RSS in MiB."""
    conn = adbc_connect(srv.uri)
    pid = srv.process.pid
    before = memory_mib(pid, "VmHWM")
    started = time.monotonic()
    with conn.cursor() as cur:
        assert cur.adbc_ingest(table, upload(ROWS), mode=mode) == ROWS
    seconds = time.monotonic() - started
    peak = memory_mib(pid, "VmHWM")
    report = {
        "rows": ROWS,
        "ingest_seconds": round(seconds, 1),
        "server_peak_rss_before_mib": round(before),
        "server_peak_rss_after_mib": round(peak),
        "server_rss_after_mib": round(memory_mib(pid, "VmRSS")),
    }
    for key, value in report.items():
        record_property(key, value)
    print(f"\n{table}: {report}")
    assert totals(conn, table) == expected_totals(ROWS)
    execute(conn, f"DROP TABLE {table}")
    conn.close()
    return peak - before


def upload_mib() -> float:
    """The size of the generated rows as Arrow arrays."""
    return sum(batch.nbytes for batch in generated_batches(ROWS)) / MIB


def test_ten_million_rows_stream_into_a_memory_table(own_server, record_property):
    growth = ingest_and_measure(own_server, "streamed", "create", record_property)
    # The table keeps every row, so the peak grows by about the upload; more than three
    # copies of it would mean the upload is held several times over.
    assert growth < 3 * upload_mib(), f"peak RSS grew by {growth:.0f} MiB"


def test_ten_million_rows_stream_into_an_external_parquet_table(own_server, tmp_path, record_property):
    directory = tmp_path / "streamed"
    directory.mkdir()
    setup = adbc_connect(own_server.uri)
    execute(
        setup,
        f"CREATE EXTERNAL TABLE streamed (id BIGINT, amount DOUBLE, tag VARCHAR) "
        f"STORED AS PARQUET LOCATION '{directory}/'",
    )
    setup.close()
    growth = ingest_and_measure(own_server, "streamed", "append", record_property)
    assert list(directory.glob("*.parquet")), "the ingest wrote no Parquet file"
    # Written out as it arrives, so the server never holds the upload: the peak grows by the
    # Parquet writer's buffers (about 115 MiB here), well below the upload's 267 MiB.
    assert growth < 0.75 * upload_mib(), f"peak RSS grew by {growth:.0f} MiB for a {upload_mib():.0f} MiB upload"
