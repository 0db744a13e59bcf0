"""Tables on an object store: a real S3-compatible server (moto, with request signing checked)
started on loopback by these tests, a TPC-H table set of several Parquet files per table on it,
and `trebuchet scheduler` + two `trebuchet executor` processes reading it.

The executors get no AWS_* environment: everything they know about the store came with their
tasks, from the OPTIONS of CREATE EXTERNAL TABLE.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbc_driver_manager
import boto3
import datafusion
import pytest

from conftest import ProcessCluster, start_server, tpchgen_cli
from helpers import TPCH_TABLES, adbc_connect, assert_tables_match, execute, query_rows, query_table, query_value

REGION = "us-east-1"
BUCKET = "trebuchet-tpch"
DENIED_BUCKET = "trebuchet-denied"
DOOMED_BUCKET = "trebuchet-doomed"
MOTO_READY = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
# IAM calls moto answers before it starts checking signatures: make a user, its key, its policy.
UNSIGNED_SETUP_CALLS = 3
STARTUP_TIMEOUT_S = 60
# The longest a query may take to fail once its store is gone (retry_timeout is 2 s).
STORE_LOSS_DEADLINE_S = 30


class MotoServer:
    """`python -m moto.server` on 127.0.0.1, port chosen by the OS, signatures checked."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_lines: list[str] = []
        self._ready = threading.Event()
        self.key_id = self.secret = ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(UNSIGNED_SETUP_CALLS))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._ready.wait(STARTUP_TIMEOUT_S):
            self.stop()
            pytest.fail("moto did not start:\n" + "".join(self.log_lines))
        self._make_user()

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            self.log_lines.append(line)
            match = MOTO_READY.search(line)
            if match and not self._ready.is_set():
                self.port = int(match.group(1))
                self._ready.set()

    def _make_user(self) -> None:
        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name=REGION,
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="trebuchet")
        key = iam.create_access_key(UserName="trebuchet")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="trebuchet", PolicyName="s3", PolicyDocument=json.dumps(policy))
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def s3(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret)

    def upload_dir(self, bucket: str, prefix: str, directory: Path) -> None:
        s3 = self.s3()
        for path in sorted(directory.rglob("*.parquet")):
            s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(directory)}")

    def stop(self) -> None:
        """Stops the process this object started, by its PID."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, 9)
            self.process.wait(timeout=10)

    def options(self, secret: str | None = None, **extra: str) -> str:
        """The OPTIONS clause reaching this server, with `secret` instead of the real key if given."""
        options = {
            "aws.access_key_id": self.key_id,
            "aws.secret_access_key": secret if secret is not None else self.secret,
            "aws.endpoint": self.endpoint,
            "aws.region": REGION,
            "aws.allow_http": "true",
            **extra,
        }
        return "OPTIONS (" + ", ".join(f"'{key}' '{value}'" for key, value in options.items()) + ")"

    def environment(self) -> dict[str, str]:
        """The standard AWS variables that reach this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_ENDPOINT": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
        }


@contextlib.contextmanager
def environment(updates: dict[str, str]):
    """os.environ without any AWS_* variable, plus `updates`, while the block runs (servers
    copy the environment when they start)."""
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(updates)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def generate_parts(out: Path, parts: int, tables: list[str] | None = None) -> Path:
    """TPC-H scale 0.01 as `parts` Parquet files per table, in `<out>/<table>/`."""
    command = [tpchgen_cli(), "parquet", "--scale-factor", "0.01", f"--parts={parts}", "--output-dir", str(out)]
    if tables:
        command.append("--tables=" + ",".join(tables))
    subprocess.run(command, check=True, capture_output=True)
    return out


def error_text(error: Exception) -> str:
    return str(error).lower().replace("_", "").replace(" ", "")


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tpch_parts(tmp_path_factory) -> Path:
    return generate_parts(tmp_path_factory.mktemp("tpch-parts"), 4)


@pytest.fixture(scope="module")
def moto(tpch_parts):
    server = MotoServer()
    server.start()
    s3 = server.s3()
    for bucket in (BUCKET, DENIED_BUCKET):
        s3.create_bucket(Bucket=bucket)
    server.upload_dir(BUCKET, "tpch", tpch_parts)
    server.upload_dir(DENIED_BUCKET, "nation", tpch_parts / "nation")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oracle_parts(tpch_parts) -> datafusion.SessionContext:
    """DataFusion in process over the local copy of the same files."""
    ctx = datafusion.SessionContext()
    for table in TPCH_TABLES:
        ctx.register_parquet(table, str(tpch_parts / table))
    return ctx


@pytest.fixture(scope="module")
def store_cluster(trebuchet_bin, tmp_path_factory):
    """A scheduler and two executors, none of them with AWS credentials in its environment."""
    cluster = ProcessCluster(trebuchet_bin, tmp_path_factory.mktemp("store-cluster"), [])
    with environment({}):
        cluster.start(executors=2)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def s3_conn(store_cluster, moto):
    """A session on the cluster with every TPC-H table created on the bucket."""
    conn = adbc_connect(store_cluster.uri)
    for table in TPCH_TABLES:
        execute(conn, f"CREATE EXTERNAL TABLE {table} STORED AS PARQUET "
                      f"LOCATION 's3://{BUCKET}/tpch/{table}/' {moto.options()}")
    yield conn
    conn.close()


# --- reading and writing --------------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 3, 6, 18])
def test_tpch_query_over_s3_on_scheduler_and_two_executors_matches_datafusion(
    s3_conn, oracle_parts, tpch_query, number
):
    sql = tpch_query(number)
    expected = oracle_parts.sql(sql).to_arrow_table()
    assert expected.num_rows > 0
    assert_tables_match(query_table(s3_conn, sql), expected)


def test_a_prefix_of_many_files_scans_one_partition_per_file(s3_conn):
    plan = "\n".join(str(row[1]) for row in query_rows(s3_conn, "EXPLAIN SELECT sum(l_quantity) FROM lineitem WHERE l_discount > 0.01"))
    assert "4 groups" in plan and "tasks: 4" in plan, plan
    assert "[tpch/lineitem/lineitem.1.parquet]" in plan, plan


def test_copy_to_s3_writes_objects_that_read_back(s3_conn, moto):
    execute(s3_conn, f"COPY (SELECT * FROM nation) TO 's3://{BUCKET}/copied/nation/' "
                     f"STORED AS PARQUET {moto.options()}")
    written = moto.s3().list_objects_v2(Bucket=BUCKET, Prefix="copied/nation/")
    assert written["KeyCount"] >= 1, written
    execute(s3_conn, f"CREATE EXTERNAL TABLE nation_copy STORED AS PARQUET "
                     f"LOCATION 's3://{BUCKET}/copied/nation/' {moto.options()}")
    sql = "SELECT * FROM {} ORDER BY n_nationkey"
    assert_tables_match(query_table(s3_conn, sql.format("nation_copy")), query_table(s3_conn, sql.format("nation")))


def test_table_flag_reads_s3_with_the_environments_credentials(trebuchet_bin, moto, tmp_path):
    """`--table NAME=s3://…` at start, credentials from AWS_*; other users may read below that
    prefix without credentials of their own, but not elsewhere in the bucket."""
    with environment(moto.environment()):
        server = start_server(trebuchet_bin, "--tpch-scale", "0", "--work-dir", str(tmp_path / "work"),
                              f"--table=nation_env=s3://{BUCKET}/tpch/nation/")
    try:
        conn = adbc_connect(server.uri)
        assert query_value(conn, "SELECT count(*) FROM nation_env") == 25
        execute(conn, f"CREATE EXTERNAL TABLE nation_again STORED AS PARQUET LOCATION 's3://{BUCKET}/tpch/nation/'")
        assert query_value(conn, "SELECT count(*) FROM nation_again") == 25
        with pytest.raises(adbc_driver_manager.Error) as raised:
            execute(conn, f"CREATE EXTERNAL TABLE region_env STORED AS PARQUET LOCATION 's3://{BUCKET}/tpch/region/'")
        assert "permissiondenied" in error_text(raised.value), raised.value
        assert "credentials" in str(raised.value), raised.value
        conn.close()
    finally:
        server.stop()


# --- failures -------------------------------------------------------------------------------------


def test_a_wrong_secret_key_is_permission_denied_naming_the_bucket(s3_conn, moto):
    started = time.monotonic()
    with pytest.raises(adbc_driver_manager.Error) as raised:
        execute(s3_conn, f"CREATE EXTERNAL TABLE denied STORED AS PARQUET "
                         f"LOCATION 's3://{DENIED_BUCKET}/nation/' {moto.options(secret='not-the-secret')}")
    assert time.monotonic() - started < STORE_LOSS_DEADLINE_S
    assert "permissiondenied" in error_text(raised.value), raised.value
    assert DENIED_BUCKET in str(raised.value), raised.value
    assert "not-the-secret" not in str(raised.value)


def test_other_credentials_for_a_configured_bucket_are_refused(s3_conn, moto):
    """A bucket has one set of options, which its tables share: a second user may not swap them."""
    with pytest.raises(adbc_driver_manager.Error) as raised:
        execute(s3_conn, f"CREATE EXTERNAL TABLE swapped STORED AS PARQUET "
                         f"LOCATION 's3://{BUCKET}/tpch/region/' {moto.options(secret='another-secret')}")
    assert "permissiondenied" in error_text(raised.value), raised.value
    assert "already set up with other options" in str(raised.value), raised.value
    assert query_value(s3_conn, "SELECT count(*) FROM region") == 5


def test_a_query_fails_clearly_within_its_deadline_when_the_store_dies(store_cluster, tmp_path):
    doomed = MotoServer()
    doomed.start()
    try:
        doomed.s3().create_bucket(Bucket=DOOMED_BUCKET)
        doomed.upload_dir(DOOMED_BUCKET, "lineitem", generate_parts(tmp_path / "parts", 16, ["lineitem"]) / "lineitem")
        conn = adbc_connect(store_cluster.uri)
        options = doomed.options(**{"aws.retry_timeout": "2s", "aws.max_retries": "2", "aws.connect_timeout": "1s"})
        execute(conn, f"CREATE EXTERNAL TABLE doomed STORED AS PARQUET LOCATION 's3://{DOOMED_BUCKET}/lineitem/' {options}")
        requests_before = len(doomed.log_lines)
        outcome: dict[str, object] = {}

        def run_query():
            try:
                outcome["rows"] = query_rows(conn, "SELECT l_returnflag, count(*), sum(l_quantity) FROM doomed GROUP BY l_returnflag")
            except Exception as err:  # noqa: BLE001 - the error is the result under test
                outcome["error"] = err

        query = threading.Thread(target=run_query)
        query.start()
        # Stop the store once the query has started reading it.
        deadline = time.monotonic() + 20
        while not any("/lineitem/" in line for line in doomed.log_lines[requests_before:]):
            assert time.monotonic() < deadline, "the query never read the store"
            time.sleep(0.005)
        doomed.stop()
        killed = time.monotonic()
        query.join(STORE_LOSS_DEADLINE_S + 10)
        assert not query.is_alive(), "the query still runs after its store died"
        assert time.monotonic() - killed < STORE_LOSS_DEADLINE_S
        error = outcome.get("error")
        assert error is not None, f"the query answered without its store: {outcome}"
        text = str(error)
        assert f"127.0.0.1:{doomed.port}" in text or DOOMED_BUCKET in text, text
        assert "unavailable" in error_text(error), text
        assert "on executor-" in text, text
        conn.close()
    finally:
        doomed.stop()


# --- secrets --------------------------------------------------------------------------------------


def test_secrets_never_show_in_explain_listings_or_logs(s3_conn, store_cluster, moto):
    """Runs last in this file: the servers' logs then hold everything the tests above did."""
    shown = []
    for sql in [
        "EXPLAIN SELECT l_returnflag, count(*) FROM lineitem GROUP BY l_returnflag",
        f"EXPLAIN COPY (SELECT 1 AS x) TO 's3://{BUCKET}/never/' STORED AS PARQUET {moto.options()}",
        "SHOW CREATE TABLE lineitem",
        "SELECT * FROM information_schema.views",
        "SELECT * FROM information_schema.tables",
        "SHOW ALL",
    ]:
        shown.append(query_table(s3_conn, sql).to_pandas().to_string())
    # DataFusion cannot explain DDL; its refusal must not quote the statement either.
    with pytest.raises(adbc_driver_manager.Error) as refused:
        query_table(s3_conn, f"EXPLAIN CREATE EXTERNAL TABLE x STORED AS PARQUET "
                             f"LOCATION 's3://{BUCKET}/tpch/nation/' {moto.options()}")
    shown.append(str(refused.value))
    text = "\n".join(shown)
    assert "CopyTo" in text and "s3://trebuchet-tpch/tpch/lineitem/" in text, text
    assert moto.secret not in text
    for process in [store_cluster.scheduler, *store_cluster.executors]:
        log = process.log_text()
        assert moto.secret not in log, process.describe()
        assert "not-the-secret" not in log and "another-secret" not in log, process.describe()
