"""Fixtures for the Python integration tests.

Every test talks to the real `trebuchet` binary through real Flight SQL clients
(ADBC and flightsql-dbapi). Servers are started as subprocesses once per test
session and shared; each test opens its own client connections.

Environment:
  TREBUCHET_BIN  path to the server binary
                 (default: ${CARGO_TARGET_DIR:-~/.cache/trebuchet/target}/debug/trebuchet)
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import datafusion
import pytest
from flightsql import connect as flightsql_connect

from helpers import (
    EXECUTOR_READY_LINE,
    PASSWORD,
    TPCH_TABLES,
    USER,
    TrebuchetServer,
    adbc_connect,
    flightsql_client,
    running_servers,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_binary() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache/trebuchet/target")
    return Path(target) / "debug" / "trebuchet"


@pytest.fixture(scope="session")
def trebuchet_bin() -> Path:
    binary = Path(os.environ.get("TREBUCHET_BIN") or default_binary())
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(f"server binary not found: {binary} (build it or set TREBUCHET_BIN)")
    return binary


SCHEDULER_EXECUTION_THRESHOLD = "ballista.planner.scheduler_execution_threshold_bytes"


def start_server(binary: Path, *args: str):
    """A standalone server with `args`. Its queries run as jobs however small their input,
    unless `args` set the scheduler-execution threshold again (the last value wins): these
    tests are about the engine's distributed path and compare it with DataFusion
    (test_small_queries.py covers the other)."""
    server = TrebuchetServer(binary, ["standalone", "--host", "127.0.0.1", "--port", "0",
                                      "--session-default", f"{SCHEDULER_EXECUTION_THRESHOLD}=0", *args])
    server.start()
    return server


@pytest.fixture(scope="session")
def server(trebuchet_bin, tmp_path_factory):
    """A server with authentication off and the embedded TPC-H data at scale 0.01. SQL may
    use files under pytest's temp dirs (every `tmp_path`), and nowhere else."""
    allowed = tmp_path_factory.getbasetemp()
    srv = start_server(trebuchet_bin, "--tpch-scale", "0.01", "--allow-path", str(allowed))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def auth_server(trebuchet_bin):
    """A server that requires user alice with password secret."""
    srv = start_server(trebuchet_bin, "--user", f"{USER}:{PASSWORD}")
    yield srv
    srv.stop()


# --- ADBC -----------------------------------------------------------------------------------------


@pytest.fixture
def connect_adbc(server):
    """Factory: open a new ADBC connection (= a new server session) to `server`."""
    opened = []

    def connect():
        conn = adbc_connect(server.uri)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture
def adbc_conn(connect_adbc):
    return connect_adbc()


# --- flightsql-dbapi ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def single_endpoint_server(trebuchet_bin):
    """flightsql-dbapi reads only the first endpoint of a FlightInfo, so it needs a server
    that merges every result partition into one (`--result-endpoints single`)."""
    srv = start_server(trebuchet_bin, "--tpch-scale", "0.01", "--result-endpoints", "single")
    yield srv
    srv.stop()


@pytest.fixture
def fsql_client(single_endpoint_server):
    """A flightsql-dbapi client without credentials (it sends `authorization: Bearer None`)."""
    client = flightsql_client(single_endpoint_server)
    yield client
    client.close()


@pytest.fixture
def fsql_conn(fsql_client):
    """flightsql-dbapi's DB-API connection."""
    conn = flightsql_connect(fsql_client)
    yield conn
    conn.close()


# --- TPC-H oracle ---------------------------------------------------------------------------------


def tpchgen_cli() -> str:
    beside_python = Path(sys.executable).parent / "tpchgen-cli"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("tpchgen-cli")
    if not found:
        pytest.fail("tpchgen-cli not found (run dev/python-env.sh)")
    return found


def generate_tpch(out: Path, scale: str) -> Path:
    subprocess.run(
        [tpchgen_cli(), "parquet", "--scale-factor", scale, "--output-dir", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def oracle_over(directory: Path) -> datafusion.SessionContext:
    """In-process DataFusion with the TPC-H tables of `directory` registered: the expected answers."""
    ctx = datafusion.SessionContext()
    for table in TPCH_TABLES:
        ctx.register_parquet(table, str(directory / f"{table}.parquet"))
    return ctx


@pytest.fixture(scope="session")
def tpch_parquet_dir(tmp_path_factory) -> Path:
    """TPC-H scale 0.01 as parquet, one file per table, generated by tpchgen-cli."""
    return generate_tpch(tmp_path_factory.mktemp("tpch-sf0.01"), "0.01")


@pytest.fixture(scope="session")
def oracle(tpch_parquet_dir) -> datafusion.SessionContext:
    return oracle_over(tpch_parquet_dir)


@pytest.fixture(scope="session")
def tpch_sf01_dir(tmp_path_factory) -> Path:
    """TPC-H scale 0.1 as parquet: the distributed oracle's data."""
    return generate_tpch(tmp_path_factory.mktemp("tpch-sf0.1"), "0.1")


@pytest.fixture(scope="session")
def oracle_sf01(tpch_sf01_dir) -> datafusion.SessionContext:
    return oracle_over(tpch_sf01_dir)


class ProcessCluster:
    """`trebuchet scheduler` and executor processes, each a real process on loopback."""

    def __init__(self, binary: Path, work_root: Path, tables: list[str],
                 scheduler_args: tuple[str, ...] = (), executor_args: tuple[str, ...] = ()):
        self.binary = binary
        self.work_root = work_root
        self.executor_args = list(executor_args)
        # Given rather than generated, so the scheduler writes no token file among the
        # files these tests watch.
        self.cluster_token = secrets.token_hex(16)
        self.scheduler = TrebuchetServer(
            binary,
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0",
             "--work-dir", str(work_root / "scheduler"), "--cluster-token", self.cluster_token,
             "--session-default", f"{SCHEDULER_EXECUTION_THRESHOLD}=0",
             *tables, *scheduler_args],
        )
        self.executors: list[TrebuchetServer] = []

    @property
    def uri(self) -> str:
        return self.scheduler.uri

    def start(self, executors: int) -> None:
        self.scheduler.start()
        for _ in range(executors):
            self.add_executor()

    def add_executor(self) -> TrebuchetServer:
        index = len(self.executors)
        executor = TrebuchetServer(
            self.binary,
            ["executor", "--scheduler-url", f"http://127.0.0.1:{self.scheduler.port}",
             "--host", "127.0.0.1", "--port", "0", "--concurrent-tasks", "2",
             "--work-dir", str(self.executor_dir(index)), "--cluster-token", self.cluster_token,
             *self.executor_args],
            ready=EXECUTOR_READY_LINE,
        )
        executor.start()
        self.executors.append(executor)
        return executor

    def executor_dir(self, index: int) -> Path:
        return self.work_root / f"executor-{index}"

    def shuffle_files(self) -> list[Path]:
        """Files under the work dirs; directories vanishing mid-walk (jobs being released) are skipped."""
        return [Path(root) / name for root, _, names in os.walk(self.work_root) for name in names]

    def stop(self) -> None:
        for process in [*self.executors, self.scheduler]:
            process.stop()


def table_flags(directory: Path) -> list[str]:
    """`--table NAME=PATH` for each TPC-H table generated in `directory`."""
    return [f"--table={table}={directory / f'{table}.parquet'}" for table in TPCH_TABLES]


@pytest.fixture(scope="session")
def process_cluster(trebuchet_bin, tpch_sf01_dir, tmp_path_factory):
    """A scheduler and two executor processes serving TPC-H at scale 0.1 from parquet files."""
    tables = table_flags(tpch_sf01_dir)
    cluster = ProcessCluster(trebuchet_bin, tmp_path_factory.mktemp("cluster"), tables)
    cluster.start(executors=2)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def push_process_cluster(trebuchet_bin, tpch_sf01_dir, tmp_path_factory):
    """As `process_cluster`, with the push-staged scheduling policy on every process, and
    executors keeping shuffle output in memory (served to each other over Flight from there)."""
    tables = table_flags(tpch_sf01_dir)
    policy = ("--scheduler-policy", "push-staged")
    executor_args = (*policy, "--shuffle-memory-size", "256MiB")
    cluster = ProcessCluster(trebuchet_bin, tmp_path_factory.mktemp("push-cluster"), tables, policy,
                             executor_args)
    cluster.start(executors=2)
    yield cluster
    cluster.stop()


def tpch_query_dir() -> Path:
    """The repository's single copy of the TPC-H queries."""
    directory = REPO_ROOT / "benchmarks" / "queries"
    if not directory.is_dir():
        pytest.fail(f"no TPC-H query directory at {directory}")
    return directory


@pytest.fixture(scope="session")
def tpch_query():
    """Load TPC-H query N's text (q1.sql or q01.sql)."""

    def load(number: int) -> str:
        directory = tpch_query_dir()
        path = directory / f"q{number:02d}.sql"
        if not path.is_file():
            pytest.fail(f"TPC-H query {number} not found at {path}")
        return path.read_text()

    return load


# --- reporting ------------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every running server's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in running_servers():
            report.sections.append((f"server log tail ({srv.describe()})", srv.log_tail(15)))
