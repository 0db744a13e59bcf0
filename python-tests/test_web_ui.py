"""The web UI in a real browser: Debian's headless Chromium, driven by Playwright, against a
real `trebuchet standalone`. A long query started over ADBC shows up as running with a
progress bar, its page draws the stage graph, and its Cancel button stops it: the ADBC
client gets the cancellation. Screenshots are left in TREBUCHET_ARTIFACTS."""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from helpers import PASSWORD, USER, adbc_connect

def never_ending_query(marker: str) -> str:
    """Two stages (a scan of 10^11 generated rows, then the aggregation): it never ends by
    itself. `marker` tells it apart from other tests' queries on the shared server."""
    return (
        f"SELECT v % 7 AS bucket, count(*) AS n, '{marker}' AS marker "
        "FROM generate_series(1, 100000000000) AS t(v) GROUP BY v % 7"
    )


def artifacts_dir() -> Path:
    default = Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache/trebuchet/target")
    path = Path(os.environ.get("TREBUCHET_ARTIFACTS") or default / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = os.environ.get("TREBUCHET_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: run dev/browser-env.sh")
    return path


@pytest.fixture
def browser(chromium_path):
    with sync_playwright() as playwright:
        # Root in a container has no user namespace for Chromium's sandbox.
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox"], headless=True
        )
        yield browser
        browser.close()


def http_base(srv) -> str:
    return srv.uri.replace("grpc://", "http://")


class LongQuery:
    """A query running on its own thread until it is cancelled; records how it ended."""

    def __init__(self, uri: str, sql: str, **credentials):
        self.conn = adbc_connect(uri, **credentials)
        self.cursor = self.conn.cursor()
        self.error: Exception | None = None
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(sql,), daemon=True)
        self.thread.start()

    def _run(self, sql: str) -> None:
        try:
            self.cursor.execute(sql)
            self.cursor.fetchall()
        except Exception as err:  # the cancellation, checked by the test
            self.error = err
        finally:
            self.finished.set()

    def close(self) -> None:
        if not self.finished.is_set():
            self.cursor.adbc_cancel()
            self.finished.wait(30)
        self.conn.close()


def test_a_running_job_is_listed_drawn_and_cancelled_from_the_ui(server, browser):
    marker = f"web-ui-{secrets.token_hex(8)}"
    query = LongQuery(server.uri, never_ending_query(marker))
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(http_base(server) + "/")
        expect(page).to_have_title("Trebuchet")

        row = page.locator('[data-testid="job-row"]').filter(has_text=marker)
        expect(row).to_have_count(1, timeout=30_000)
        expect(row.locator('[data-state="running"]')).to_be_visible()
        expect(row.locator("progress")).to_be_visible()
        page.screenshot(path=str(artifacts_dir() / "web-ui-jobs.png"), full_page=True)

        row.locator("a").first.click()
        expect(page.locator("h1")).to_contain_text("Job")
        stages = page.locator('[data-testid="stage-row"]')
        expect(stages.first).to_be_visible()
        assert stages.count() >= 2, "a scan and an aggregation are two stages"
        expect(stages.locator("progress")).to_have_count(stages.count())
        expect(stages.locator('[data-state="running"]').first).to_be_visible()
        graph = page.locator('[data-testid="graph"]')
        expect(graph).to_be_visible()
        page.wait_for_function(
            "() => { const img = document.querySelector('img.graph-image');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=15_000,
        )
        page.screenshot(path=str(artifacts_dir() / "web-ui-job.png"), full_page=True)

        cancelled_at = time.monotonic()
        page.locator('[data-testid="cancel"]').first.click()
        assert query.finished.wait(30), "the query still runs 30 s after the UI cancelled it"
        assert time.monotonic() - cancelled_at < 15
        assert query.error is not None, "a query over 10^11 rows cannot have finished"
        assert "cancel" in str(query.error).lower(), query.error
        expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "cancelled", timeout=10_000)
        page.screenshot(path=str(artifacts_dir() / "web-ui-cancelled.png"), full_page=True)

        page.locator('a[data-nav="executors"]').click()
        expect(page.locator('[data-testid="executor-row"]')).not_to_have_count(0)
        expect(page.locator('[data-testid="executor-row"] [data-state="alive"]').first).to_be_visible()
    finally:
        query.close()


def test_the_ui_of_a_server_with_users_asks_for_credentials(auth_server, browser):
    # Without credentials the server asks for them (a browser would show its login box;
    # headless Chromium gives up), and the page's API calls would be refused the same way.
    anonymous = browser.new_context()
    try:
        for path in ("/", "/api/jobs"):
            response = anonymous.request.get(http_base(auth_server) + path)
            assert response.status == 401, path
            assert response.headers["www-authenticate"].startswith("Basic"), path
    finally:
        anonymous.close()

    context = browser.new_context(http_credentials={"username": USER, "password": PASSWORD})
    try:
        page = context.new_page()
        response = page.goto(http_base(auth_server) + "/")
        assert response is not None and response.status == 200
        expect(page.locator("h1")).to_have_text("Jobs")
        expect(page.locator('[data-testid="page-error"]')).to_have_count(0)
    finally:
        context.close()
