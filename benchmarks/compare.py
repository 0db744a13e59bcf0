#!/usr/bin/env python3
"""Speedups between two `tpch run` results: for each query and engine, the median of run A,
the median of run B, and A/B (above 1: B is faster).

    python3 benchmarks/compare.py before.json after.json

Standard library only, so it runs anywhere the JSON files are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        sys.exit(f"cannot read {path}: {err}")


def medians(run: dict) -> dict[tuple[int, str], float]:
    """(query, engine) -> median ms."""
    return {
        (query["query"], engine): numbers["median_ms"]
        for query in run["queries"]
        for engine, numbers in query["engines"].items()
        if numbers.get("median_ms") is not None
    }


def describe(run: dict) -> str:
    context = run.get("context", {})
    return (f"rev {str(context.get('git_revision', '?'))[:12]}, scale {context.get('scale', '?')}, "
            f"{context.get('machine', {}).get('cores', '?')} cores, "
            f"settings {context.get('trebuchet_settings') or 'defaults'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path, help="the baseline run")
    parser.add_argument("b", type=Path, help="the run to compare with it")
    args = parser.parse_args()
    a, b = load(args.a), load(args.b)
    before, after = medians(a), medians(b)
    engines = sorted({engine for _, engine in before} & {engine for _, engine in after})
    queries = sorted({query for query, _ in before} & {query for query, _ in after})
    if not engines or not queries:
        sys.exit("the two runs share no query and engine")
    print(f"A: {args.a} ({describe(a)})")
    print(f"B: {args.b} ({describe(b)})")
    header = f"{'query':>5}" + "".join(f" {engine + ' A ms':>16} {engine + ' B ms':>16} {'A/B':>6}" for engine in engines)
    print(header)
    totals = {engine: [0.0, 0.0] for engine in engines}
    for query in queries:
        line = f"{'q' + str(query):>5}"
        for engine in engines:
            old, new = before.get((query, engine)), after.get((query, engine))
            if old is None or new is None:
                line += f" {'-':>16} {'-':>16} {'-':>6}"
                continue
            totals[engine][0] += old
            totals[engine][1] += new
            line += f" {old:16.1f} {new:16.1f} {old / new:6.2f}"
        print(line)
    line = f"{'total':>5}"
    for engine in engines:
        old, new = totals[engine]
        line += f" {old:16.1f} {new:16.1f} {old / new if new else float('nan'):6.2f}"
    print(line)


if __name__ == "__main__":
    main()
