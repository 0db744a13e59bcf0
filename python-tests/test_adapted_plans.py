"""Golden adapted plans: what the adaptive planner made of a few TPC-H queries, as the stages
that ran (REST API), checked in under `golden/adapted/`. The initial cuts have their own
golden files (flight-sql-server/tests/golden/stages); these show what measured sizes changed
on a cluster of fixed shape (2 executors of 2 slots, scale 0.01, joins shuffled): which joins
became hash joins and which side they build, how many tasks each stage ran, which stages
were skipped. A change shows up as a diff to review; `TREBUCHET_UPDATE_GOLDEN=1` rewrites
the files. Numbers in the planner's notes (bytes) are masked: they follow the shuffle
format, not the planner."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import start_server
from helpers import adbc_connect, execute, query_rows
from test_adaptive import ADAPTIVE, SINGLE_TASK, last_job

GOLDEN = Path(__file__).parent / "golden" / "adapted"
QUERIES = Path(__file__).parent.parent / "benchmarks" / "queries"
SETUPS = {
    "": [],
    "-hash": ["SET datafusion.optimizer.prefer_hash_join = true"],
}


@pytest.fixture(scope="module")
def fixed_cluster(trebuchet_bin):
    """Standalone with a shape that does not follow the machine: coalescing never goes below
    the cluster's slots."""
    srv = start_server(
        trebuchet_bin, "--tpch-scale", "0.01", "--executors", "2", "--concurrent-tasks", "2"
    )
    yield srv
    srv.stop()


def operator_line(line: str) -> str:
    """An operator as a golden line: our shuffle operators in full, others by name."""
    indent = line[: len(line) - len(line.lstrip())]
    text = line.strip()
    if not text.startswith("Shuffle"):
        text = text.split(":")[0]
    return indent + text


def adapted_layout(job: dict) -> str:
    lines = []
    for stage in job["stages"]:
        inputs = ", ".join(str(stage_id) for stage_id in stage["inputs"])
        lines.append(
            f"Stage {stage['stage_id']} (inputs: [{inputs}]) {stage['state']}, "
            f"{stage['tasks']['total']} tasks"
        )
        for change in stage["adaptive_changes"]:
            # Measured sizes vary with the data and with where shuffle output is kept
            # (a file adds IPC framing): every byte count, and any other large number.
            change = re.sub(r"\d+ bytes", "N bytes", change)
            lines.append("  adaptive: " + re.sub(r"\d{3,}", "N", change))
        lines.extend("  " + operator_line(line) for line in stage["plan"].splitlines() if line.strip())
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("name", ["q03", "q05", "q10", "q12"])
def test_adapted_plans_match_the_golden_files(fixed_cluster, name, setup):
    sql = (QUERIES / f"{name}.sql").read_text().strip().rstrip(";")
    adaptive, plain = adbc_connect(fixed_cluster.uri), adbc_connect(fixed_cluster.uri)
    try:
        for conn in (adaptive, plain):
            execute(conn, "SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
            for statement in SETUPS[setup]:
                execute(conn, statement)
        execute(adaptive, f"SET {ADAPTIVE} = true")
        execute(adaptive, f"SET {SINGLE_TASK} = false")
        expected = query_rows(plain, sql)
        assert query_rows(adaptive, sql) == expected
        actual = adapted_layout(last_job(fixed_cluster, sql))
    finally:
        adaptive.close()
        plain.close()

    golden = GOLDEN / f"{name}{setup}.txt"
    if os.environ.get("TREBUCHET_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
        return
    assert golden.is_file(), f"no golden file {golden}: run with TREBUCHET_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(), (
        f"the adapted plan of {name}{setup} changed; if intended, run with "
        "TREBUCHET_UPDATE_GOLDEN=1 and review the diff"
    )
