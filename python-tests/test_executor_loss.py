"""Executors die: kill -9 one in the middle of a multi-stage TPC-H query (scale 0.1) and the
query still returns DataFusion's answer, with the adaptive planner on or off (a re-planned
stage keeps its inputs, and lost output is recomputed); kill the executor running a query
the adaptive planner runs as one task, and that task runs again elsewhere; kill them all and
the query fails clearly within the deadline, or completes once a new executor joins in time.

Each test runs its own `trebuchet scheduler` and executor processes, with short heartbeats
so that a silent executor is declared lost within seconds. A failed shuffle fetch from a
dead executor marks it lost at once."""

import os
import threading
import time
from pathlib import Path

import pytest

from conftest import ProcessCluster, table_flags
from helpers import TrebuchetServer, adbc_connect, assert_tables_match, execute, query_table
from test_tpch_oracle import run_script_in_oracle, run_script_over_adbc

EXECUTOR_TIMEOUT_S = 3
SCHEDULER_ARGS = ("--executor-timeout", f"{EXECUTOR_TIMEOUT_S}s", "--executor-wait", "8s")
EXECUTOR_ARGS = ("--heartbeat-interval", "500ms")


@pytest.fixture
def loss_cluster(trebuchet_bin, tpch_sf01_dir, tmp_path):
    cluster = ProcessCluster(trebuchet_bin, tmp_path, table_flags(tpch_sf01_dir), SCHEDULER_ARGS, EXECUTOR_ARGS)
    cluster.start(executors=3)
    yield cluster
    cluster.stop()


def holds_shuffle_output(directory: Path) -> bool:
    """Whether a map task has written output under an executor's work dir."""
    return any(
        name.endswith(".arrow")
        for root, _, names in os.walk(directory)
        if "job-" in root
        for name in names
    )


class QueryThread(threading.Thread):
    def __init__(self, uri: str, script: str, settings: tuple[str, ...] = ()):
        super().__init__(daemon=True)
        self.uri, self.script, self.settings = uri, script, settings
        self.result, self.error, self.finished_at = None, None, None

    def run(self):
        conn = adbc_connect(self.uri)
        try:
            for setting in self.settings:
                execute(conn, setting)
            self.result = run_script_over_adbc(conn, self.script)
        except Exception as err:  # reported by the test
            self.error = err
        finally:
            self.finished_at = time.monotonic()
            conn.close()


# Adaptive, with its stages re-planned: at scale 0.1 the adaptive planner would otherwise run
# each of these queries as one task, which writes no map output to lose.
ADAPTIVE = (
    "SET ballista.planner.adaptive.enabled = true",
    "SET ballista.planner.adaptive.single_task.enabled = false",
)


# As ADAPTIVE, with every join partition above its side's median split by ranges of map
# tasks (test_tpch_oracle.py checks that such splits happen): a map task rerun after the
# loss must land in the same piece.
SPLIT_SKEW = (
    *ADAPTIVE,
    "SET ballista.optimizer.broadcast_join_threshold_bytes = 0",
    "SET ballista.planner.adaptive.skew_join.skewed_partition_factor = 1",
    "SET ballista.planner.adaptive.skew_join.skewed_partition_threshold_bytes = 1",
    "SET ballista.planner.adaptive.coalesce_partitions.advisory_partition_size = '16KiB'",
)


# Estimated at a few megabytes, so the adaptive planner runs it as one task; 360 M join pairs
# at scale 0.1 keep that task busy long enough to be killed mid-run.
SINGLE_TASK_QUERY = (
    "SELECT count(*) AS pairs, sum(a.l_quantity) AS quantity FROM lineitem a "
    "JOIN lineitem b ON a.l_suppkey = b.l_suppkey"
)


OF_THE_QUERY = f"j.sql = '{SINGLE_TASK_QUERY}'"


def executor_running_a_task(cluster: ProcessCluster, conn) -> TrebuchetServer | None:
    """The executor process a running task of `SINGLE_TASK_QUERY`'s job is placed on."""
    rows = query_table(
        conn,
        "SELECT t.executor_id FROM system.tasks t JOIN system.jobs j ON t.job_id = j.job_id "
        f"WHERE t.state = 'running' AND {OF_THE_QUERY}",
    ).to_pylist()
    ids = {row["executor_id"] for row in rows}
    # Each executor logs its id as it registers.
    return next(
        (executor for executor in cluster.executors if any(executor_id in executor.log_text() for executor_id in ids)),
        None,
    )


def test_killing_the_executor_of_a_single_task_query_reruns_it_elsewhere(loss_cluster, oracle_sf01):
    expected = oracle_sf01.sql(SINGLE_TASK_QUERY).to_arrow_table()
    query = QueryThread(loss_cluster.uri, SINGLE_TASK_QUERY, ("SET ballista.planner.adaptive.enabled = true",))
    watcher = adbc_connect(loss_cluster.uri)
    started = time.monotonic()
    query.start()
    victim = None
    while query.is_alive() and victim is None:
        victim = executor_running_a_task(loss_cluster, watcher)
    watcher_job = query_table(watcher, f"SELECT j.stages, j.tasks FROM system.jobs j WHERE {OF_THE_QUERY}").to_pylist()
    watcher.close()
    if victim is None:
        pytest.fail(f"the query finished in {time.monotonic() - started:.2f}s before its task was seen running")
    assert watcher_job == [{"stages": 1, "tasks": 1}], watcher_job
    victim.process.kill()
    killed_at = time.monotonic()
    query.join(timeout=120)
    assert not query.is_alive(), "the query is still running 120 s after the kill"
    assert query.error is None, f"the query failed after the kill: {query.error}"
    assert_tables_match(query.result, expected)
    print(f"killed {killed_at - started:.2f}s into the query, answer {query.finished_at - killed_at:.2f}s after the kill")


@pytest.mark.parametrize("settings", [(), ADAPTIVE, SPLIT_SKEW], ids=["planned", "adaptive", "split skew"])
@pytest.mark.parametrize("number", [3, 9, 18, 21])
def test_killing_an_executor_mid_query_still_gives_the_right_answer(
    loss_cluster, oracle_sf01, tpch_query, number, settings
):
    script = tpch_query(number)
    expected = run_script_in_oracle(oracle_sf01, script)
    victim_index = 1
    query = QueryThread(loss_cluster.uri, script, settings)
    started = time.monotonic()
    query.start()
    # Kill the victim as soon as one of its map tasks has written shuffle output that a
    # later stage will need.
    while query.is_alive() and not holds_shuffle_output(loss_cluster.executor_dir(victim_index)):
        time.sleep(0.002)
    if not query.is_alive():
        pytest.fail(f"q{number} finished in {time.monotonic() - started:.2f}s before the victim wrote output")
    loss_cluster.executors[victim_index].process.kill()
    killed_at = time.monotonic()
    query.join(timeout=120)
    assert not query.is_alive(), f"q{number} still running 120 s after the kill"
    assert query.error is None, f"q{number} failed after the kill: {query.error}"
    assert_tables_match(query.result, expected)
    print(f"q{number}: killed {killed_at - started:.2f}s into the query, "
          f"answer {query.finished_at - killed_at:.2f}s after the kill")


def test_with_every_executor_dead_a_query_fails_clearly_within_the_deadline(loss_cluster):
    for executor in loss_cluster.executors:
        executor.process.kill()
    conn = adbc_connect(loss_cluster.uri)
    started = time.monotonic()
    with pytest.raises(Exception) as failure:
        query_table(conn, "SELECT l_returnflag, count(*) FROM lineitem GROUP BY l_returnflag")
    elapsed = time.monotonic() - started
    conn.close()
    assert "executor" in str(failure.value).lower(), failure.value
    # Lost after the executor timeout, then the executor wait: never "running" forever.
    assert elapsed < EXECUTOR_TIMEOUT_S + 8 + 10, f"failed only after {elapsed:.1f}s"


def test_a_query_waiting_for_executors_completes_when_one_joins_in_time(loss_cluster, oracle_sf01, tpch_query):
    for executor in loss_cluster.executors:
        executor.process.kill()
    script = tpch_query(3)
    query = QueryThread(loss_cluster.uri, script)
    query.start()
    time.sleep(EXECUTOR_TIMEOUT_S + 1)
    assert query.is_alive(), f"the query ended before a new executor joined: {query.error}"
    loss_cluster.add_executor()
    query.join(timeout=120)
    assert query.error is None, f"the query failed: {query.error}"
    assert_tables_match(query.result, run_script_in_oracle(oracle_sf01, script))
