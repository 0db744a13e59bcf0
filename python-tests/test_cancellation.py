"""Cancelling a long query from ADBC stops its job on the executor processes: the call
returns within seconds and no shuffle file is left behind."""

import threading
import time

import pytest

from helpers import adbc_connect

NEVER_ENDS = "SELECT v FROM generate_series(1, 100000000000) AS t(v)"


def test_cancelling_a_running_query_from_adbc_stops_it_and_leaves_no_files(process_cluster):
    conn = adbc_connect(process_cluster.uri)
    cursor = conn.cursor()
    outcome = {}

    def run():
        try:
            cursor.execute(NEVER_ENDS)
            cursor.fetchall()
            outcome["error"] = None
        except Exception as err:  # the cancellation, checked below
            outcome["error"] = err
        outcome["ended_at"] = time.monotonic()

    query = threading.Thread(target=run, daemon=True)
    query.start()
    deadline = time.monotonic() + 30
    while not process_cluster.shuffle_files() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_cluster.shuffle_files(), "the query's tasks never wrote anything"
    cancelled_at = time.monotonic()
    cursor.adbc_cancel()
    query.join(timeout=30)
    assert not query.is_alive(), "the query still runs 30 s after it was cancelled"
    assert outcome["error"] is not None, "a query over 10^11 rows cannot have finished"
    assert outcome["ended_at"] - cancelled_at < 10
    deadline = time.monotonic() + 10
    while process_cluster.shuffle_files() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_cluster.shuffle_files() == []
    # The connection and the cluster keep working.
    with conn.cursor() as again:
        again.execute("SELECT 1 AS one")
        assert again.fetchall() == [(1,)]
    conn.close()
