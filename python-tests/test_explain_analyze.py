"""EXPLAIN ANALYZE of a distributed query, over ADBC: it runs the query on the executors and
answers the plan actually run, stage by stage, with each operator's metrics summed over
the stage's tasks (worded as DataFusion's own EXPLAIN ANALYZE words them) and each
stage's tasks and executors."""

from __future__ import annotations

import json
import re
import urllib.request

from helpers import query_rows, query_value

GROUPED = "SELECT l_returnflag, count(*) AS n FROM lineitem GROUP BY l_returnflag"


def explain_analyze(conn, sql: str) -> str:
    rows = query_rows(conn, f"EXPLAIN ANALYZE {sql}")
    assert [row[0] for row in rows] == ["Plan with Metrics"], rows
    return rows[0][1]


def stage_headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Stage ")]


def metric(line: str, name: str) -> int:
    """A count metric of one operator line; DataFusion words large counts as `6.00 K`."""
    match = re.search(rf"\b{name}=([0-9.]+)(?: ([KMB]))?", line)
    assert match, f"no {name} in {line!r}"
    scale = {None: 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[match.group(2)]
    return round(float(match.group(1)) * scale)


def test_explain_analyze_shows_every_stage_with_its_operators_metrics(server, connect_adbc):
    conn = connect_adbc()
    text = explain_analyze(conn, GROUPED)
    headers = stage_headers(text)
    assert len(headers) >= 2, text
    executors = set()
    for header in headers:
        assert "(succeeded)" in header, header
        executors.update(re.findall(r"(\S+) ×\d+", header))
    assert executors, f"no executor named in {headers}"

    # Every operator line carries DataFusion's metrics, and the scans' rows add up to the
    # table's rows (the scan has no filter: it reads every row).
    operator_lines = [line for line in text.splitlines() if line.startswith("  ")]
    assert operator_lines and all("metrics=[" in line for line in operator_lines), text
    scans = [line for line in operator_lines if "DataSourceExec" in line]
    assert scans, text
    lineitem_rows = query_value(conn, "SELECT count(*) FROM lineitem")
    # Worded with three significant digits (`60.17 K`), as DataFusion words them.
    worded = sum(metric(line, "output_rows") for line in scans)
    assert abs(worded - lineitem_rows) <= lineitem_rows * 0.001, (worded, lineitem_rows)
    # Exactly, as the REST API serves the same job's operators.
    job_id = re.match(r"Job (\S+):", text).group(1)
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/job/{job_id}") as response:
        job = json.load(response)
    scanned = sum(
        operator["metrics"]["output_rows"]
        for stage in job["stages"]
        for operator in stage["operators"]
        if operator["operator"].startswith("DataSourceExec")
    )
    assert scanned == lineitem_rows

    # The final stage's rows are the query's rows.
    groups = len(query_rows(conn, GROUPED))
    final = headers[-1]
    assert re.search(rf", {groups} row\(s\),", final), (final, groups)
    conn.close()


def test_explain_analyze_of_a_plan_that_reads_no_data_is_datafusions(connect_adbc):
    conn = connect_adbc()
    text = explain_analyze(conn, "SELECT 1 AS one")
    assert "ProjectionExec" in text and "output_rows=1" in text, text
    assert not stage_headers(text)
    conn.close()


def test_explain_analyze_of_a_failing_query_fails_with_its_error(connect_adbc):
    conn = connect_adbc()
    cursor = conn.cursor()
    try:
        cursor.execute("EXPLAIN ANALYZE SELECT CAST(l_comment AS INT) FROM lineitem")
        cursor.fetchall()
    except Exception as err:  # the cast error, checked below
        assert "Cannot cast" in str(err) or "cast" in str(err).lower(), err
    else:
        raise AssertionError("casting comments to INT cannot succeed")
    finally:
        cursor.close()
    # The connection keeps working.
    assert query_value(conn, "SELECT 1") == 1
    conn.close()
