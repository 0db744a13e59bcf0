"""Prometheus metrics at `GET /api/metrics`, on the scheduler's port and on each executor's
Flight port, parsed with the reference client's own parser (prometheus_client). Queries run
over ADBC against a real `trebuchet standalone`; the counters they move are checked, and
every histogram must be self-consistent."""

from __future__ import annotations

import math
import re
import threading
import time
import urllib.request
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import ProcessCluster, table_flags
from helpers import adbc_connect

# Reads lineitem and shuffles it by l_returnflag: a job of two stages.
GROUPED = "SELECT l_returnflag, count(*) AS n FROM lineitem GROUP BY l_returnflag"
# Fails on the executors, while running (not while planning): l_comment is text.
FAILS_WHILE_RUNNING = "SELECT CAST(l_comment AS INT) AS n FROM lineitem"
# Never ends by itself: the final stage writes until the job is cancelled.
NEVER_ENDS = "SELECT v FROM generate_series(1, 100000000000) AS t(v)"
EXECUTOR_STARTING = re.compile(r"executor starting.*flight=(http://127\.0\.0\.1:\d+)")
TEXT_FORMAT = "text/plain; version=0.0.4"
# Scheduler-side counters move when the scheduler has handled the executors' reports,
# which may be just after the client has its last row.
SETTLE_S = 15


class Scrape:
    """One parsed exposition: every sample by name and labels, and each family's type."""

    def __init__(self, text: str):
        self.text = text
        self.values: dict[tuple[str, frozenset], float] = {}
        self.types: dict[str, str] = {}
        self.families = list(text_string_to_metric_families(text))
        for family in self.families:
            self.types[family.name] = family.type
            for sample in family.samples:
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels) -> float:
        key = (name, frozenset(labels.items()))
        assert key in self.values, f"no sample {name} {labels} in:\n{self.text}"
        return self.values[key]

    def total(self, name: str, **labels) -> float:
        """The sum of `name` over every sample whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(
            value for (sample, sample_labels), value in self.values.items()
            if sample == name and wanted <= sample_labels
        )


def scrape(base: str) -> Scrape:
    with urllib.request.urlopen(f"{base}/api/metrics", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith(TEXT_FORMAT)
        return Scrape(response.read().decode("utf-8"))


def scheduler_base(srv) -> str:
    return f"http://127.0.0.1:{srv.port}"


def executor_bases(srv) -> list[str]:
    """The Flight URLs of the standalone process's executors, as they logged them."""
    bases = sorted({match.group(1) for line in srv.log_lines if (match := EXECUTOR_STARTING.search(line))})
    assert bases, f"no executor logged its Flight URL:\n{srv.log_tail(40)}"
    return bases


def settled(base: str, condition) -> Scrape:
    """The first scrape satisfying `condition`, within SETTLE_S; else the last one, failing."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        current = scrape(base)
        if condition(current):
            return current
        if time.monotonic() > deadline:
            pytest.fail(f"the metrics never reached the expected values:\n{current.text}")
        time.sleep(0.1)


def run(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def assert_histograms_are_consistent(current: Scrape) -> None:
    """Every histogram series: cumulative buckets never decrease, the +Inf bucket is the
    count, and the sum is non-negative (every observation here is a duration)."""
    histograms = [family for family in current.families if family.type == "histogram"]
    assert histograms, current.text
    for family in histograms:
        series = defaultdict(dict)
        for sample in family.samples:
            labels = {key: value for key, value in sample.labels.items() if key != "le"}
            key = frozenset(labels.items())
            if sample.name.endswith("_bucket"):
                series[key].setdefault("buckets", []).append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                series[key]["count"] = sample.value
            elif sample.name.endswith("_sum"):
                series[key]["sum"] = sample.value
        for labels, parts in series.items():
            where = f"{family.name} {dict(labels)}"
            buckets = sorted(parts["buckets"])
            counts = [count for _, count in buckets]
            assert counts == sorted(counts), f"{where}: buckets decrease: {buckets}"
            assert buckets[-1][0] == math.inf, where
            assert buckets[-1][1] == parts["count"], f"{where}: +Inf bucket is not the count"
            assert parts["sum"] >= 0, where


def run_grouped_queries(srv, queries: int) -> tuple[Scrape, Scrape]:
    """Scrapes before and after `queries` runs of GROUPED, once each job's end is counted;
    the after-scrape is taken while the connection (a session) is still open."""
    base = scheduler_base(srv)
    before = scrape(base)
    ended = before.value("trebuchet_job_duration_seconds_count") + queries
    conn = adbc_connect(srv.uri)
    try:
        for _ in range(queries):
            assert len(run(conn, GROUPED)) == 3
        after = settled(base, lambda now: now.value("trebuchet_job_duration_seconds_count") >= ended)
    finally:
        conn.close()
    assert after.value("trebuchet_job_duration_seconds_count") == ended
    return before, after


def test_queries_move_the_scheduler_counters(server):
    queries = 3
    before, after = run_grouped_queries(server, queries)

    assert after.value("trebuchet_sessions_open") >= 1
    assert after.value("trebuchet_tasks_total", outcome="succeeded") > before.value(
        "trebuchet_tasks_total", outcome="succeeded")
    assert after.value("trebuchet_shuffle_bytes_written_total") > before.value("trebuchet_shuffle_bytes_written_total")
    assert after.value("trebuchet_result_bytes_total") > before.value("trebuchet_result_bytes_total")
    # Every query asked for its FlightInfo and read its results, and both went well.
    for method in ("GetFlightInfo", "DoGet"):
        grown = (after.total("trebuchet_flight_calls_total", method=method, code="OK")
                 - before.total("trebuchet_flight_calls_total", method=method, code="OK"))
        assert grown >= queries, f"{method}: {grown} more OK calls"
        assert after.total("trebuchet_flight_call_duration_seconds_count", method=method) >= queries
    assert after.types["trebuchet_jobs"] == "counter"
    assert after.types["trebuchet_job_duration_seconds"] == "histogram"
    assert after.types["trebuchet_tasks_running"] == "gauge"
    for outcome in ("succeeded", "failed", "cancelled", "timed_out"):
        assert after.value("trebuchet_jobs_total", outcome=outcome) >= 0
    assert after.value("trebuchet_executors", state="alive") >= 1
    assert after.value("trebuchet_jobs_running") >= 0
    assert_histograms_are_consistent(after)


def test_queries_read_to_the_end_count_as_succeeded(server):
    queries = 3
    before, after = run_grouped_queries(server, queries)

    assert after.value("trebuchet_jobs_total", outcome="succeeded") == before.value(
        "trebuchet_jobs_total", outcome="succeeded") + queries
    # Two stages a query, each timed once it has succeeded.
    stages_timed = (after.value("trebuchet_stage_duration_seconds_count")
                    - before.value("trebuchet_stage_duration_seconds_count"))
    assert stages_timed == 2 * queries


def test_a_query_failing_on_the_executors_counts_as_failed(server):
    base = scheduler_base(server)
    before = scrape(base)
    conn = adbc_connect(server.uri)
    try:
        with pytest.raises(Exception):
            run(conn, FAILS_WHILE_RUNNING)
    finally:
        conn.close()
    failed = before.value("trebuchet_jobs_total", outcome="failed") + 1
    after = settled(base, lambda now: now.value("trebuchet_jobs_total", outcome="failed") >= failed)
    assert after.value("trebuchet_jobs_total", outcome="failed") == failed
    assert after.value("trebuchet_tasks_total", outcome="failed") > before.value("trebuchet_tasks_total", outcome="failed")

    def refused(scraped: Scrape) -> float:
        return sum(
            value for (name, labels), value in scraped.values.items()
            if name == "trebuchet_flight_calls_total" and ("code", "OK") not in labels
        )

    assert refused(after) > refused(before), "the client got an error: some call ended other than OK"
    assert_histograms_are_consistent(after)


def test_a_cancelled_query_counts_as_cancelled_and_ran_as_running_tasks(server):
    base = scheduler_base(server)
    before = scrape(base)
    conn = adbc_connect(server.uri)
    cursor = conn.cursor()
    outcome = {}

    def endless():
        try:
            cursor.execute(NEVER_ENDS)
            cursor.fetchall()
        except Exception as err:  # the cancellation, checked below
            outcome["error"] = err

    query = threading.Thread(target=endless, daemon=True)
    query.start()
    try:
        running = settled(base, lambda now: now.value("trebuchet_tasks_running") >= 1)
        assert running.value("trebuchet_jobs_running") >= 1
        cursor.adbc_cancel()
        query.join(timeout=30)
        assert not query.is_alive(), "the query still runs 30 s after it was cancelled"
        assert "error" in outcome, "a query over 10^11 rows cannot have finished"
    finally:
        cursor.close()
        conn.close()
    cancelled = before.value("trebuchet_jobs_total", outcome="cancelled") + 1
    after = settled(base, lambda now: now.value("trebuchet_jobs_total", outcome="cancelled") >= cancelled)
    assert after.value("trebuchet_jobs_total", outcome="cancelled") == cancelled
    assert after.value("trebuchet_jobs_total", outcome="timed_out") == before.value(
        "trebuchet_jobs_total", outcome="timed_out")
    settled(base, lambda now: now.value("trebuchet_jobs_running") == 0 and now.value("trebuchet_tasks_running") == 0)


def test_a_query_past_its_job_timeout_counts_as_timed_out(server):
    base = scheduler_base(server)
    before = scrape(base)
    conn = adbc_connect(server.uri)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET ballista.job.timeout = '300ms'")
        with pytest.raises(Exception, match="ballista.job.timeout"):
            run(conn, NEVER_ENDS)
    finally:
        conn.close()
    timed_out = before.value("trebuchet_jobs_total", outcome="timed_out") + 1
    after = settled(base, lambda now: now.value("trebuchet_jobs_total", outcome="timed_out") >= timed_out)
    assert after.value("trebuchet_jobs_total", outcome="timed_out") == timed_out
    assert after.total("trebuchet_flight_calls_total", code="DEADLINE_EXCEEDED") > before.total(
        "trebuchet_flight_calls_total", code="DEADLINE_EXCEEDED")


def test_flight_methods_are_labelled_by_name_and_unknown_ones_as_other(server):
    base = scheduler_base(server)
    conn = adbc_connect(server.uri)
    try:
        conn.adbc_get_objects(depth="tables").read_all()
    finally:
        conn.close()
    current = scrape(base)
    methods = {
        dict(labels)["method"]
        for (name, labels), _ in current.values.items()
        if name == "trebuchet_flight_calls_total"
    }
    known = {"Handshake", "ListFlights", "GetFlightInfo", "PollFlightInfo", "GetSchema", "DoGet",
             "DoPut", "DoExchange", "DoAction", "ListActions", "other"}
    assert methods <= known, methods
    assert {"GetFlightInfo", "DoGet"} <= methods


def test_executors_serve_their_own_metrics(server):
    conn = adbc_connect(server.uri)
    try:
        assert len(run(conn, GROUPED)) == 3
    finally:
        conn.close()

    def summed(name: str, **labels) -> float:
        return sum(scrape(executor).total(name, **labels) for executor in executor_bases(server))

    deadline = time.monotonic() + SETTLE_S
    while summed("trebuchet_executor_tasks_total", outcome="succeeded") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert summed("trebuchet_executor_tasks_total", outcome="succeeded") > 0
    assert summed("trebuchet_executor_shuffle_bytes_written_total") > 0
    # Executors in one process read each other's files, and the scheduler their results,
    # without Flight: nothing is served over it here (see the process cluster below).
    assert summed("trebuchet_executor_flight_bytes_served_total") >= 0
    for executor in executor_bases(server):
        current = scrape(executor)
        assert current.types["trebuchet_executor_tasks_running"] == "gauge"
        assert current.value("trebuchet_executor_tasks_running") >= 0
        assert current.value("trebuchet_executor_spilled_bytes_total") >= 0
        assert current.value("trebuchet_executor_tasks_total", outcome="cancelled") >= 0
        # The scheduler's metrics are not mixed in.
        assert not any(name.startswith("trebuchet_jobs") for name, _ in current.values)


def test_executors_in_processes_of_their_own_serve_shuffle_data_over_flight(trebuchet_bin, tpch_sf01_dir, tmp_path):
    cluster = ProcessCluster(trebuchet_bin, tmp_path, table_flags(tpch_sf01_dir), (), ())
    cluster.start(executors=2)
    try:
        conn = adbc_connect(cluster.uri)
        try:
            assert len(run(conn, GROUPED)) == 3
        finally:
            conn.close()
        bases = [base for executor in cluster.executors for base in executor_bases(executor)]
        assert len(bases) == 2

        def served() -> float:
            return sum(scrape(base).total("trebuchet_executor_flight_bytes_served_total") for base in bases)

        deadline = time.monotonic() + SETTLE_S
        while served() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        # The scheduler reads results from the executors, and executors fetch shuffle data
        # from each other: both are DoGet answers.
        assert served() > 0
    finally:
        cluster.stop()
