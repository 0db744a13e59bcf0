"""What the Python benchmarks share: a `trebuchet standalone` process over the Parquet
directories `tpch datagen` writes (`DIR/<table>/part-<n>.parquet`)."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]
READY = re.compile(r"grpc://127\.0\.0\.1:(\d+)")


def generate(tpch: Path, scale: str, out: Path) -> None:
    """`tpch datagen` into `out`, unless it already holds the tables."""
    if all((out / table).is_dir() for table in TABLES):
        return
    subprocess.run([str(tpch), "datagen", "--scale", scale, "--output", str(out)], check=True)


def tpch_flags(data: Path, executors: int, work_dir: Path, policy: str = "pull-staged") -> list[str]:
    """The flags of a standalone server over the table directories in `data`."""
    tables = [f"--table={table}={data / table}" for table in TABLES]
    return ["--tpch-scale", "0", "--executors", str(executors), "--work-dir", str(work_dir),
            "--scheduler-policy", policy, *tables]


@contextmanager
def running_standalone(binary: Path, flags: list[str]) -> Iterator[int]:
    """`start_standalone` for the `with` block, yielding its port; stopped when it ends."""
    process, port = start_standalone(binary, flags)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def start_standalone(binary: Path, flags: list[str]):
    """`trebuchet standalone` on a free loopback port with `flags`, once it is ready."""
    process = subprocess.Popen(
        [str(binary), "standalone", "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    port = None
    assert process.stdout is not None
    for line in process.stdout:
        match = READY.search(line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        raise SystemExit("trebuchet exited before it was ready")
    # Keep draining the log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, port
