"""The scheduler's REST API (`/api/...` on the Flight SQL port): JSON views of the scheduler,
its executors and jobs, a job's stage graph in Graphviz dot (rendered here by Debian's `dot`),
cancelling a job, access control with users and admins, and the OpenAPI description checked
against what the server serves.

Plain HTTP through urllib: what `curl` does in the tuning guide's recipe."""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pyarrow.flight as flight
import pytest

from conftest import start_server
from helpers import adbc_connect, query_rows

# A TPC-H join with an aggregate: several stages and shuffles.
JOIN_SQL = """
SELECT o_orderpriority, count(*) AS line_count, sum(l_quantity) AS quantity
FROM orders JOIN lineitem ON l_orderkey = o_orderkey
WHERE l_shipmode IN ('MAIL', 'SHIP')
GROUP BY o_orderpriority
ORDER BY o_orderpriority
"""
# Runs until cancelled (10^11 rows).
NEVER_ENDS = "SELECT v FROM generate_series(1, 100000000000) AS t(v)"
JOB_ID = re.compile(r"^job-[0-9a-f]{32}$")
DOT_CONTENT_TYPE = "text/vnd.graphviz"
WAIT_S = 60

# The routes this API serves, as its OpenAPI description must list them.
SERVED_ROUTES = {
    ("get", "/api/state"),
    ("get", "/api/executors"),
    ("get", "/api/metrics"),
    ("get", "/api/jobs"),
    ("get", "/api/job/{job_id}"),
    ("patch", "/api/job/{job_id}"),
    ("post", "/api/job/{job_id}/cancel"),
    ("get", "/api/job/{job_id}/dot"),
    ("get", "/api/job/{job_id}/svg"),
    ("get", "/api/job/{job_id}/stage/{stage_id}/dot"),
    ("get", "/api/openapi.json"),
}

# Users of the access-control server: two users and an admin.
ALICE, BOB, CAROL = ("alice", "secret"), ("bob", "pw"), ("carol", "pw")


# --- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        return json.loads(self.body)

    def error(self) -> str:
        """The message of a JSON error body: every error of the API has one."""
        body = self.json()
        assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"], body
        return body["error"]


def request(srv, method: str, path: str, *, body: bytes | None = None,
            auth: tuple[str, str] | None = None, token: str | None = None,
            headers: dict[str, str] | None = None) -> Reply:
    sent = dict(headers or {})
    if auth is not None:
        sent["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://127.0.0.1:{srv.port}{path}", data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def get_json(srv, path: str, **kwargs):
    reply = request(srv, "GET", path, **kwargs)
    assert reply.status == 200, (path, reply.status, reply.body[:500])
    return reply.json()


def cancel_body() -> bytes:
    return json.dumps({"status": "cancelled"}).encode()


# --- jobs ------------------------------------------------------------------------------------------


def marked(sql: str) -> tuple[str, str]:
    """`sql` with a unique comment, by which its job is found in the jobs list."""
    marker = f"marker_{secrets.token_hex(6)}"
    return f"{sql.strip().rstrip(';')} /* {marker} */", marker


def find_jobs(srv, marker: str, **auth) -> list[dict]:
    """The jobs of the statement marked `marker` (a scalar subquery runs as a job of its own)."""
    return [job for job in get_json(srv, "/api/jobs", **auth) if marker in job["sql"]]


def find_job(srv, marker: str, **auth) -> dict | None:
    found = find_jobs(srv, marker, **auth)
    assert len(found) <= 1, found
    return found[0] if found else None


def run_marked(srv, sql: str, auth: tuple[str, str] | None = None, admin=None) -> tuple[dict, list]:
    """Runs `sql` over ADBC and returns its job (as `admin` sees it) and the rows the client got."""
    sql, marker = marked(sql)
    conn = adbc_connect(srv.uri, *(auth or (None, None)))
    try:
        rows = query_rows(conn, sql)
    finally:
        conn.close()
    viewer = {"auth": admin or auth} if (admin or auth) else {}
    job = find_job(srv, marker, **viewer)
    assert job is not None, f"no job lists {marker}"
    return job, rows


class LongQuery:
    """A query that runs until cancelled, on its own ADBC connection and thread."""

    def __init__(self, srv, auth: tuple[str, str] | None = None):
        self.srv = srv
        self.sql, self.marker = marked(NEVER_ENDS)
        self.conn = adbc_connect(srv.uri, *(auth or (None, None)))
        self.error: Exception | None = None
        self.finished = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            with self.conn.cursor() as cur:
                cur.execute(self.sql)
                cur.fetchall()
            self.finished = True
        except Exception as err:  # the cancellation, checked by the test
            self.error = err

    def start_and_find(self, **auth) -> dict:
        """Starts the query; its job once the API lists it with a task running."""
        self.thread.start()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            job = find_job(self.srv, self.marker, **auth)
            if job and job["state"] == "running" and job["tasks"]["running"] > 0:
                return job
            assert self.thread.is_alive(), f"the query ended: {self.error!r}"
            time.sleep(0.05)
        pytest.fail(f"the long query never showed up running in /api/jobs ({self.marker})")

    def join_cancelled(self) -> Exception:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the query still runs 30 s after it was cancelled"
        assert not self.finished, "a query over 10^11 rows cannot have finished"
        assert self.error is not None
        return self.error

    def close(self):
        self.conn.close()


def assert_client_was_cancelled(error: Exception):
    assert "cancel" in str(error).lower(), f"expected a cancellation error, got: {error!r}"


# --- Graphviz --------------------------------------------------------------------------------------


def dot_binary() -> str:
    found = shutil.which("dot")
    if not found:
        pytest.fail("Graphviz `dot` not found: install Debian's graphviz (dev/browser-env.sh does)")
    return found


def render(dot_text: str, fmt: str = "svg") -> bytes:
    """`dot -T<fmt>` of `dot_text`; fails on any warning."""
    done = subprocess.run([dot_binary(), f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b"", f"dot warned: {done.stderr.decode()}\n--- dot ---\n{dot_text}"
    return done.stdout


def get_dot(srv, path: str, **auth) -> str:
    reply = request(srv, "GET", path, **auth)
    assert reply.status == 200, (path, reply.status, reply.body[:500])
    assert reply.headers["content-type"].startswith(DOT_CONTENT_TYPE), reply.headers
    return reply.body.decode()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def join_job(server):
    """A TPC-H join this module ran, with the rows its client received."""
    return run_marked(server, JOIN_SQL)


@pytest.fixture(scope="module")
def users_server(trebuchet_bin):
    """Two users and an admin: alice, bob, and carol who sees every job."""
    srv = start_server(
        trebuchet_bin, "--tpch-scale", "0.01",
        "--user", ":".join(ALICE), "--user", ":".join(BOB), "--admin", CAROL[0], "--user", ":".join(CAROL),
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def alices_job(users_server):
    job, _ = run_marked(users_server, JOIN_SQL, auth=ALICE)
    return job


# --- the scheduler and its executors ---------------------------------------------------------------


def test_state_tells_version_start_policy_history_and_live_executors(server):
    state = get_json(server, "/api/state")
    assert set(state) == {"version", "started_at_ms", "scheduler_policy", "job_history", "executors_alive"}
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", state["version"])
    assert 0 < state["started_at_ms"] <= time.time() * 1000
    assert state["scheduler_policy"] == "pull-staged"
    assert state["job_history"] == 1000
    assert state["executors_alive"] >= 1


def test_executors_are_listed_with_slots_and_heartbeats(server):
    executors = get_json(server, "/api/executors")
    alive = [executor for executor in executors if executor["state"] == "alive"]
    assert len(alive) == get_json(server, "/api/state")["executors_alive"]
    for executor in alive:
        assert set(executor) == {"executor_id", "flight_url", "slots", "running_tasks", "state",
                                 "registered_at_ms", "last_seen_ms"}
        assert executor["executor_id"] and executor["flight_url"].startswith(("http://", "https://", "grpc"))
        assert executor["slots"] >= 1 and 0 <= executor["running_tasks"] <= executor["slots"]
        assert executor["registered_at_ms"] <= executor["last_seen_ms"] <= time.time() * 1000 + 1000


def test_metrics_are_served_as_prometheus_text(server, join_job):
    reply = request(server, "GET", "/api/metrics")
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4"), reply.headers


# --- jobs ------------------------------------------------------------------------------------------


def test_a_finished_join_is_listed_with_its_sql_state_and_rows(server, join_job):
    job, rows = join_job
    assert JOB_ID.match(job["job_id"]), job
    assert "JOIN lineitem" in job["sql"]
    assert job["state"] == "succeeded" and job["error"] is None
    assert job["rows_out"] == len(rows) == 5
    assert job["user"] is None  # authentication is off
    assert job["submitted_at_ms"] <= job["ended_at_ms"]
    assert job["duration_ms"] >= 0 and job["session_id"]
    assert job["stage_count"] >= 2
    assert job["tasks"]["total"] == job["tasks"]["succeeded"] > 0
    assert job["tasks"]["waiting"] == job["tasks"]["running"] == 0


def test_a_job_shows_its_stages_with_task_counts_and_measurements(server, join_job):
    summary, rows = join_job
    job = get_json(server, f"/api/job/{summary['job_id']}")
    assert job["job_id"] == summary["job_id"] and job["state"] == "succeeded"
    assert job["rows_out"] == len(rows)
    stages = job["stages"]
    assert len(stages) == summary["stage_count"] >= 2
    ids = {stage["stage_id"] for stage in stages}
    assert any(stage["inputs"] for stage in stages), "a join reads other stages"
    for stage in stages:
        assert set(stage["inputs"]) <= ids
        assert stage["state"] == "succeeded"
        assert stage["tasks"]["total"] == stage["tasks"]["succeeded"] == len(stage["task_list"]) > 0
        assert stage["plan"].strip() and stage["output_partitioning"]
        assert stage["task_time_ms"] >= 0 and stage["duration_ms"] is not None
        for task in stage["task_list"]:
            assert task["state"] == "succeeded" and task["attempts"] >= 1 and task["executor"]
        assert stage["rows_out"] == sum(task["rows_out"] for task in stage["task_list"])
    final = stages[-1]
    assert final["rows_out"] == len(rows)
    readers = [stage for stage in stages if "ShuffleReaderExec" in stage["plan"]]
    assert readers, "the stages after the first read shuffles"


def test_the_job_graph_renders_with_graphviz_without_warnings(server, join_job):
    job_id = join_job[0]["job_id"]
    job = get_json(server, f"/api/job/{job_id}")
    dot = get_dot(server, f"/api/job/{job_id}/dot")
    for stage in job["stages"]:
        assert f"subgraph cluster_stage_{stage['stage_id']} " in dot
        for input_stage in stage["inputs"]:
            assert f"stage_{input_stage}_writer -> stage_{stage['stage_id']}_" in dot
    svg = render(dot).decode()
    assert "<svg" in svg and "ShuffleReaderExec" in svg and f"stage {job['stages'][0]['stage_id']}" in svg
    # The SQL text in the title, escaped: the quotes of 'MAIL' survive.
    assert "MAIL" in svg
    for stage in job["stages"]:
        stage_dot = get_dot(server, f"/api/job/{job_id}/stage/{stage['stage_id']}/dot")
        assert stage_dot.count("subgraph cluster_stage_") == 1
        render(stage_dot)


def test_the_tuning_guides_recipe_gives_a_png(server, join_job, tmp_path):
    """`curl http://localhost:PORT/api/job/{job_id}/dot > query.dot; dot -Tpng query.dot > query.png`"""
    job_id = join_job[0]["job_id"]
    with urllib.request.urlopen(f"http://localhost:{server.port}/api/job/{job_id}/dot", timeout=30) as resp:
        (tmp_path / "query.dot").write_bytes(resp.read())
    dot_binary()
    done = subprocess.run("dot -Tpng query.dot > query.png", shell=True, cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode()
    png = (tmp_path / "query.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_every_tpch_querys_graph_renders_without_warnings(server, tpch_query):
    conn = adbc_connect(server.uri)
    try:
        for number in range(1, 23):
            # q15 is CREATE VIEW; SELECT; DROP VIEW: only its SELECT runs as jobs.
            for statement in [part for part in tpch_query(number).split(";") if part.strip()]:
                if not statement.strip().lower().startswith("select"):
                    query_rows(conn, statement)
                    continue
                sql, marker = marked(statement)
                query_rows(conn, sql)
                jobs = find_jobs(server, marker)
                assert jobs, f"q{number} ran as no job"
                for job in jobs:
                    assert job["state"] == "succeeded", job
                    render(get_dot(server, f"/api/job/{job['job_id']}/dot"))
    finally:
        conn.close()


def test_a_failed_job_shows_its_error_in_json_and_in_its_graph(server):
    # Characters dot and HTML give meaning to, in the SQL the title shows.
    sql, marker = marked("""SELECT CAST(l_comment AS INT) AS n, '<{"a\\b"}> & |x|' AS s FROM lineitem""")
    conn = adbc_connect(server.uri)
    try:
        with pytest.raises(Exception, match="(?i)cast"):
            query_rows(conn, sql)
    finally:
        conn.close()
    summary = find_job(server, marker)
    assert summary is not None and summary["state"] == "failed", summary
    assert "cast" in summary["error"].lower()
    job = get_json(server, f"/api/job/{summary['job_id']}")
    assert job["error"] == summary["error"]
    svg = render(get_dot(server, f"/api/job/{summary['job_id']}/dot")).decode()
    assert "Cast error" in svg
    assert "&lt;{&quot;a\\b&quot;}&gt; &amp; |x|" in svg, svg[:2000]


@pytest.mark.parametrize("how", ["patch", "post"])
def test_cancelling_a_running_job_cancels_its_client(server, how):
    query = LongQuery(server)
    try:
        job = query.start_and_find()
        path = f"/api/job/{job['job_id']}"
        running = get_json(server, path)
        assert running["state"] == "running" and any(stage["state"] == "running" for stage in running["stages"])
        render(get_dot(server, f"{path}/dot"))
        if how == "patch":
            reply = request(server, "PATCH", path, body=cancel_body(), headers={"Content-Type": "application/json"})
        else:
            reply = request(server, "POST", f"{path}/cancel")
        assert reply.status == 200, reply.body
        cancelled = reply.json()
        assert cancelled["job_id"] == job["job_id"] and cancelled["state"] == "cancelled"
        assert_client_was_cancelled(query.join_cancelled())
        assert get_json(server, path)["state"] == "cancelled"
        # Cancelling again: it already ended.
        again = request(server, "POST", f"{path}/cancel")
        assert again.status == 409 and "already ended" in again.error()
        again = request(server, "PATCH", path, body=cancel_body())
        assert again.status == 409, again.body
    finally:
        query.close()


# --- bad requests ----------------------------------------------------------------------------------


def unknown_job_id() -> str:
    return f"job-{secrets.token_hex(16)}"


def test_malformed_and_unknown_ids_are_400_and_404(server, join_job):
    job_id = join_job[0]["job_id"]
    for path in ["/api/job/nope", "/api/job/job-123", f"/api/job/{job_id.upper()}", "/api/job/..%2F..%2Fetc",
                 "/api/job/%00", "/api/job/%ff%fe", f"/api/job/{'a' * 5000}", "/api/job/nope/dot",
                 "/api/job/nope/stage/1/dot"]:
        reply = request(server, "GET", path)
        assert reply.status == 400, (path, reply.status, reply.body[:300])
        reply.error()
    for path in [f"/api/job/{unknown_job_id()}", f"/api/job/{unknown_job_id()}/dot",
                 f"/api/job/{unknown_job_id()}/stage/1/dot", f"/api/job/{job_id}/stage/99999/dot"]:
        reply = request(server, "GET", path)
        assert reply.status == 404, (path, reply.status, reply.body[:300])
        reply.error()
    for stage in ["x", "-1", "1.5", "99999999999999999999", "%20"]:
        reply = request(server, "GET", f"/api/job/{job_id}/stage/{stage}/dot")
        assert reply.status == 400, (stage, reply.status, reply.body[:300])
        reply.error()
    for method, path in [("PATCH", f"/api/job/{unknown_job_id()}"), ("POST", f"/api/job/{unknown_job_id()}/cancel")]:
        reply = request(server, method, path, body=cancel_body())
        assert reply.status == 404, (path, reply.status)
        reply.error()


def test_bad_patch_bodies_are_400(server, join_job):
    path = f"/api/job/{join_job[0]['job_id']}"
    for body in [b"", b"not json", b"{}", b"[]", b'{"status": "running"}', b'{"status": 1}',
                 b'{"status": "cancelled", "extra": true}', b"\xff\xfe", b'{"status": "cancelled"']:
        reply = request(server, "PATCH", path, body=body, headers={"Content-Type": "application/json"})
        assert reply.status == 400, (body, reply.status, reply.body[:300])
        reply.error()
    reply = request(server, "PATCH", "/api/job/nope", body=cancel_body())
    assert reply.status == 400


def test_unknown_paths_are_404_and_wrong_methods_405(server, join_job):
    for path in ["/api", "/api/", "/api/nope", "/api/jobs/extra", "/api/job", "/api/job/", "/api/state/x"]:
        reply = request(server, "GET", path)
        assert reply.status == 404, (path, reply.status)
        reply.error()
    job_id = join_job[0]["job_id"]
    for method, path in [("DELETE", "/api/jobs"), ("POST", "/api/state"), ("PUT", f"/api/job/{job_id}"),
                         ("GET", f"/api/job/{job_id}/cancel"), ("DELETE", f"/api/job/{job_id}"),
                         ("POST", "/api/openapi.json"), ("POST", f"/api/job/{job_id}/dot")]:
        reply = request(server, method, path, body=b"" if method != "GET" else None)
        assert reply.status == 405, (method, path, reply.status)
        assert reply.headers.get("allow"), reply.headers
        reply.error()


def test_state_changes_from_another_sites_pages_are_refused(server):
    reply = request(server, "POST", f"/api/job/{unknown_job_id()}/cancel",
                    headers={"Origin": "https://elsewhere.example"})
    assert reply.status == 403 and "another site" in reply.error()


# --- access control --------------------------------------------------------------------------------


def test_without_credentials_the_api_refuses_but_health_answers(users_server):
    for path in ["/api/state", "/api/jobs", "/api/executors", "/api/metrics", "/api/openapi.json",
                 f"/api/job/{unknown_job_id()}", "/api/nope"]:
        reply = request(users_server, "GET", path)
        assert reply.status == 401, (path, reply.status)
        assert reply.headers["www-authenticate"] == 'Basic realm="trebuchet"'
        reply.error()
    assert request(users_server, "GET", "/healthz").status == 200
    assert request(users_server, "GET", "/readyz").status == 200
    # Paths outside /api are not the API's: no credentials asked for them.
    assert request(users_server, "GET", "/favicon.ico").status == 404


def test_wrong_credentials_are_401(users_server):
    for auth in [("alice", "wrong"), ("mallory", "secret"), ("", "")]:
        assert request(users_server, "GET", "/api/state", auth=auth).status == 401
    for token in ["forged", "", "None"]:
        assert request(users_server, "GET", "/api/state", token=token).status == 401
    reply = request(users_server, "GET", "/api/state", headers={"Authorization": "Digest x"})
    assert reply.status == 401


def test_basic_credentials_and_a_flight_session_token_are_accepted(users_server):
    assert get_json(users_server, "/api/state", auth=ALICE)["executors_alive"] >= 1
    client = flight.FlightClient(users_server.uri)
    try:
        header, value = client.authenticate_basic_token(*BOB)
    finally:
        client.close()
    assert header.lower() == b"authorization" and value.startswith(b"Bearer ")
    token = value.decode().removeprefix("Bearer ")
    assert isinstance(get_json(users_server, "/api/jobs", token=token), list)


def test_users_see_only_their_own_jobs_and_admins_every_job(users_server, alices_job):
    job_id = alices_job["job_id"]
    assert alices_job["user"] == "alice"
    stage_id = get_json(users_server, f"/api/job/{job_id}", auth=CAROL)["stages"][0]["stage_id"]
    for path in [f"/api/job/{job_id}", f"/api/job/{job_id}/dot", f"/api/job/{job_id}/stage/{stage_id}/dot"]:
        reply = request(users_server, "GET", path, auth=BOB)
        assert reply.status == 404, (path, reply.status)
        reply.error()
        assert request(users_server, "GET", path, auth=ALICE).status == 200, path
        assert request(users_server, "GET", path, auth=CAROL).status == 200, path
    assert job_id not in {job["job_id"] for job in get_json(users_server, "/api/jobs", auth=BOB)}
    assert job_id in {job["job_id"] for job in get_json(users_server, "/api/jobs", auth=CAROL)}
    # Cancelling another user's job: as unknown.
    assert request(users_server, "POST", f"/api/job/{job_id}/cancel", auth=BOB).status == 404
    assert request(users_server, "PATCH", f"/api/job/{job_id}", auth=BOB, body=cancel_body()).status == 404
    assert request(users_server, "POST", f"/api/job/{job_id}/cancel", auth=ALICE).status == 409


def test_bobs_own_job_is_his_to_see_and_an_admin_may_cancel_it(users_server):
    bobs, _ = run_marked(users_server, "SELECT count(*) FROM lineitem WHERE l_quantity > 10", auth=BOB)
    assert bobs["user"] == "bob" and bobs["state"] == "succeeded"
    assert bobs["job_id"] not in {job["job_id"] for job in get_json(users_server, "/api/jobs", auth=ALICE)}
    query = LongQuery(users_server, auth=BOB)
    try:
        job = query.start_and_find(auth=BOB)
        assert request(users_server, "POST", f"/api/job/{job['job_id']}/cancel", auth=ALICE).status == 404
        reply = request(users_server, "POST", f"/api/job/{job['job_id']}/cancel", auth=CAROL)
        assert reply.status == 200 and reply.json()["state"] == "cancelled", reply.body
        assert_client_was_cancelled(query.join_cancelled())
    finally:
        query.close()


# --- the OpenAPI description -----------------------------------------------------------------------


def documented_routes(doc) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in doc["paths"].items() for method in operations}


def test_openapi_lists_exactly_the_routes_served(server):
    doc = get_json(server, "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert documented_routes(doc) == SERVED_ROUTES


def test_every_documented_route_answers_as_documented(server, join_job):
    doc = get_json(server, "/api/openapi.json")
    summary, _ = join_job
    job = get_json(server, f"/api/job/{summary['job_id']}")
    ids = {"job_id": job["job_id"], "stage_id": str(job["stages"][0]["stage_id"])}
    schemas = doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        for method, operation in operations.items():
            body = cancel_body() if method == "patch" else (b"" if method == "post" else None)
            reply = request(server, method.upper(), concrete, body=body)
            # The job ended, so cancelling it is a conflict: the route is there all the same.
            expected = 409 if method in ("patch", "post") else 200
            assert reply.status == expected, (method, concrete, reply.status, reply.body[:300])
            assert str(expected) in operation["responses"], (method, path)
            if expected == 200:
                content = operation["responses"]["200"]["content"]
                media = next(iter(content))
                assert reply.headers["content-type"].startswith(media.split(";")[0]), (path, media, reply.headers)
                schema = content[media].get("schema", {})
                if media == "application/json" and schema:
                    assert_matches_schema(reply.json(), schema, schemas, path)


def assert_matches_schema(value, schema, schemas, where):
    """The response's objects have the documented properties (all the required ones, no others)."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array" or "items" in schema:
        assert isinstance(value, list), where
        for item in value:
            assert_matches_schema(item, schema["items"], schemas, where)
    elif "properties" in schema:
        assert isinstance(value, dict), where
        assert set(schema.get("required", [])) <= set(value) <= set(schema["properties"]), (
            where, sorted(value), sorted(schema["properties"]))
        for key, item in value.items():
            assert_matches_schema(item, schema["properties"][key], schemas, f"{where}.{key}")
