"""Small helpers shared by the integration tests: the server process and result comparison."""

from __future__ import annotations

import ctypes
import decimal
import math
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as adbc_dbapi
import pyarrow as pa
import pytest
from flightsql import FlightSQLClient

TPCH_TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]

STARTUP_TIMEOUT_S = 60
STOP_GRACE_S = 10
LISTEN_LINE = re.compile(r"grpc://127\.0\.0\.1:(\d+)")
# An executor is ready once the scheduler accepted its registration.
EXECUTOR_READY_LINE = re.compile(r"registered with the scheduler")

_running: list["TrebuchetServer"] = []

# Credentials of the server started with authentication on.
USER = "alice"
PASSWORD = "secret"

# Generous client-side RPC timeouts so a hung server fails a test instead of the whole run.
ADBC_TIMEOUTS = {
    "adbc.flight.sql.rpc.timeout_seconds.fetch": "120",
    "adbc.flight.sql.rpc.timeout_seconds.query": "120",
    "adbc.flight.sql.rpc.timeout_seconds.update": "120",
}


def running_servers() -> list["TrebuchetServer"]:
    return list(_running)


def _die_with_parent():
    """Runs in the child before exec: get SIGTERM if the test process dies (no orphan servers)."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class ServerStartupError(Exception):
    pass


class TrebuchetServer:
    """The `trebuchet` binary as a subprocess; its stdout+stderr are drained into `log_lines`."""

    def __init__(self, binary: Path, args: list[str], ready: re.Pattern = LISTEN_LINE):
        self.argv = [str(binary), *args]
        self.ready = ready
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_lines: list[str] = []
        self._listening = threading.Event()
        self._drainer: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    def describe(self) -> str:
        pid = self.process.pid if self.process else None
        return f"pid {pid}: {' '.join(self.argv[1:])}"

    def log_text(self) -> str:
        return "".join(self.log_lines)

    def log_tail(self, lines: int) -> str:
        return "".join(self.log_lines[-lines:])

    def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "info")
        env.setdefault("RUST_BACKTRACE", "1")
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent,
        )
        _running.append(self)
        self._drainer = threading.Thread(target=self._drain, name=f"drain-{self.process.pid}", daemon=True)
        self._drainer.start()

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._listening.wait(timeout=0.1):
            if self.process.poll() is not None:
                self._drainer.join(timeout=2)
                self._fail(f"server exited with code {self.process.returncode} before listening")
            if time.monotonic() > deadline:
                self._fail(f"no line matching {self.ready.pattern!r} within {STARTUP_TIMEOUT_S} s")

    def _fail(self, reason: str):
        self.stop()
        pytest.fail(f"{reason}\ncommand: {' '.join(self.argv)}\n--- server log ---\n{self.log_text()}", pytrace=False)

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            self.log_lines.append(line)
            if not self._listening.is_set():
                match = self.ready.search(line)
                if match:
                    if match.groups():
                        self.port = int(match.group(1))
                    self._listening.set()

    def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


# --- clients ---------------------------------------------------------------------------------------


def adbc_connect(uri: str, username: str | None = None, password: str | None = None):
    db_kwargs = dict(ADBC_TIMEOUTS)
    if username is not None:
        db_kwargs["username"] = username
    if password is not None:
        db_kwargs["password"] = password
    return adbc_dbapi.connect(uri, db_kwargs=db_kwargs)


def flightsql_client(srv, user: str | None = None, password: str | None = None) -> FlightSQLClient:
    return FlightSQLClient(host="127.0.0.1", port=srv.port, user=user, password=password, insecure=True)


# --- queries --------------------------------------------------------------------------------------


def query_table(conn, sql: str, params=None) -> pa.Table:
    """Run one statement over an ADBC connection and return the whole result as an Arrow table."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetch_arrow_table()


def query_rows(conn, sql: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def query_value(conn, sql: str, params=None):
    rows = query_rows(conn, sql, params)
    assert len(rows) == 1 and len(rows[0]) == 1, f"expected one value from {sql!r}, got {rows!r}"
    return rows[0][0]


def execute(conn, sql: str) -> None:
    """Run a statement for its effect (DDL, SET, INSERT) and drain whatever it returns."""
    with conn.cursor() as cur:
        cur.execute(sql)
        cur.fetchall()


def assert_setting_refused(conn, key: str, value: str) -> None:
    """`SET key = value` fails with an error naming `key`, and the session keeps answering."""
    with pytest.raises(Exception) as refused:
        execute(conn, f"SET {key} = {value}")
    assert key in str(refused.value), refused.value
    assert query_rows(conn, "SELECT 1 AS one") == [(1,)]


def show_setting(conn, key: str) -> str:
    """`SHOW key` as a string; SHOW answers one row with columns (name, value)."""
    table = query_table(conn, f"SHOW {key}")
    assert table.column_names == ["name", "value"], table.schema
    rows = table.to_pylist()
    assert len(rows) == 1, rows
    assert rows[0]["name"] == key
    return rows[0]["value"]


def flight_read_all(client, flight_info) -> pa.Table:
    """flightsql-dbapi: fetch a FlightInfo's first endpoint over the same client."""
    return client.do_get(flight_info.endpoints[0].ticket).read_all()


# --- comparing results ----------------------------------------------------------------------------


def _as_comparable(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def values_match(actual, expected, rel_tol: float) -> bool:
    actual, expected = _as_comparable(actual), _as_comparable(expected)
    if isinstance(expected, float) or isinstance(actual, float):
        if actual is None or expected is None:
            return actual is expected
        return math.isclose(float(actual), float(expected), rel_tol=rel_tol, abs_tol=1e-12)
    return actual == expected


def assert_tables_match(actual: pa.Table, expected: pa.Table, rel_tol: float = 1e-9) -> None:
    """Same column names and rows in the same order; exact except floats/decimals (relative tolerance)."""
    assert actual.column_names == expected.column_names
    actual_rows = actual.to_pylist()
    expected_rows = expected.to_pylist()
    assert len(actual_rows) == len(expected_rows), f"{len(actual_rows)} rows, expected {len(expected_rows)}"
    for index, (got, want) in enumerate(zip(actual_rows, expected_rows)):
        mismatched = {
            column: (got[column], want[column])
            for column in expected.column_names
            if not values_match(got[column], want[column], rel_tol)
        }
        assert not mismatched, f"row {index} differs (column: (actual, expected)): {mismatched}"
