"""ADBC incremental execution (adbc.statement.exec.incremental), which polls with PollFlightInfo.

A query ready within a moment is answered in one poll: every endpoint and progress 1.0, and
the next poll finds nothing more. A longer one is answered at once with no endpoint yet, the
share of its tasks done as progress, and a descriptor the driver polls again with until the
endpoints come. The rows read from the partitions must be the query's rows.
"""

import json
import secrets
import threading
import time
import urllib.request

from helpers import adbc_connect, query_rows

INCREMENTAL = {"adbc.statement.exec.incremental": "true"}
PROGRESS = "adbc.statement.exec.progress"


def test_incremental_execution_polls_and_reads_every_partition(adbc_conn):
    sql = "SELECT l_returnflag, count(*) AS n FROM lineitem GROUP BY l_returnflag"
    rows = []
    with adbc_conn.cursor() as cur:
        cur.adbc_statement.set_options(**INCREMENTAL)
        partitions, schema = cur.adbc_execute_partitions(sql)
        assert schema.names == ["l_returnflag", "n"]
        assert partitions
        assert cur.adbc_statement.get_option_float(PROGRESS) == 1.0
        for partition in partitions:
            cur.adbc_read_partition(partition)
            rows.extend(cur.fetchall())
        more, _ = cur.adbc_execute_partitions(sql)
        assert more == []
    assert sorted(rows) == sorted(query_rows(adbc_conn, sql))


def test_a_running_query_reports_its_progress_before_its_endpoints(server):
    # The scans of lineitem finish; the generated branch never does, so the job stays
    # part done until it is cancelled.
    marker = f"poll-{secrets.token_hex(4)}"
    sql = (
        f"SELECT count(*) AS n, '{marker}' AS marker FROM (SELECT l_orderkey AS k FROM lineitem "
        "UNION ALL SELECT v FROM generate_series(1, 100000000000) AS t(v)) AS u"
    )
    conn = adbc_connect(server.uri)
    cur = conn.cursor()
    cur.adbc_statement.set_options(**INCREMENTAL)
    outcome = {}

    def execute():
        try:
            outcome["partitions"] = cur.adbc_execute_partitions(sql)
        except Exception as err:  # noqa: BLE001 - the cancellation is the expected end
            outcome["error"] = err

    worker = threading.Thread(target=execute, daemon=True)
    worker.start()
    try:
        progress, deadline = 0.0, time.monotonic() + 60
        while progress == 0.0 and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.2)
            progress = cur.adbc_statement.get_option_float(PROGRESS)
        assert 0.0 < progress < 1.0, (progress, outcome)
        assert worker.is_alive(), "the driver returned before the query had endpoints"
    finally:
        cancel(server, marker)
        worker.join(timeout=60)
        cur.close()
        conn.close()
    assert not worker.is_alive()
    assert "cancel" in str(outcome.get("error", "")).lower(), outcome


def cancel(server, marker: str) -> None:
    base = f"http://127.0.0.1:{server.port}"
    with urllib.request.urlopen(f"{base}/api/jobs", timeout=30) as response:
        jobs = [job for job in json.load(response) if marker in job["sql"] and job["state"] == "running"]
    for job in jobs:
        request = urllib.request.Request(f"{base}/api/job/{job['job_id']}/cancel", method="POST")
        urllib.request.urlopen(request, timeout=30).close()
