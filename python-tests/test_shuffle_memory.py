"""Shuffle output kept in memory (`--shuffle-memory-size`), on a real `trebuchet standalone`
over ADBC: held while a job's result is unread, given back when it has been read, and the
same rows as with every shuffle on disk. (Executors of their own processes serving kept
output to each other over Flight: the push-staged setups of test_tpch_oracle.py.)"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import start_server
from helpers import adbc_connect
from test_metrics import executor_bases, scrape

# Two stages: lineitem shuffled by l_returnflag with the sort-based writer, then the result.
GROUPED = ("SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_quantity) AS q "
           "FROM lineitem GROUP BY l_returnflag, l_linestatus ORDER BY 1, 2")
KEPT = "trebuchet_executor_shuffle_memory_bytes"
SETTLE_S = 15


@pytest.fixture(scope="module")
def servers(trebuchet_bin):
    """Standalone with its default budget, and one writing every shuffle to disk."""
    in_memory = start_server(trebuchet_bin, "--tpch-scale", "0.01")
    on_disk = start_server(trebuchet_bin, "--tpch-scale", "0.01", "--shuffle-memory-size", "0")
    yield in_memory, on_disk
    in_memory.stop()
    on_disk.stop()


def kept_bytes(server) -> float:
    """Bytes kept now: the executors of one process share the budget, and each reports it."""
    return max(scrape(base).value(KEPT) for base in executor_bases(server))


def eventually(condition) -> bool:
    deadline = time.monotonic() + SETTLE_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_output_is_kept_while_the_result_is_unread_and_given_back_once_read(servers):
    in_memory, _ = servers
    assert kept_bytes(in_memory) == 0
    conn = adbc_connect(in_memory.uri)  # start_server: queries run as jobs
    try:
        with conn.cursor() as cursor:
            cursor.execute(GROUPED)  # the job runs; its first stage's output waits for the read
            assert eventually(lambda: kept_bytes(in_memory) > 0), "nothing was kept in memory"
            rows = cursor.fetchall()
        assert len(rows) == 4
        assert eventually(lambda: kept_bytes(in_memory) == 0), (
            f"{kept_bytes(in_memory)} bytes still kept after the result was read")
    finally:
        conn.close()


def test_kept_output_gives_the_rows_written_output_gives(servers):
    in_memory, on_disk = servers
    answers = []
    for server in (in_memory, on_disk):
        conn = adbc_connect(server.uri)
        try:
            with conn.cursor() as cursor:
                cursor.execute(GROUPED)
                answers.append(cursor.fetchall())
        finally:
            conn.close()
    assert answers[0] == answers[1]
    assert sum(row[2] for row in answers[0]) > 0
    assert kept_bytes(on_disk) == 0, "a budget of 0 keeps nothing"


def test_a_bad_size_is_refused_at_startup_with_the_flag_named(trebuchet_bin):
    result = subprocess.run(
        [str(trebuchet_bin), "standalone", "--host", "127.0.0.1", "--port", "0",
         "--tpch-scale", "0", "--shuffle-memory-size", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--shuffle-memory-size" in result.stderr, result.stderr
