"""Screening speed on the full OFAC SDN snapshot in ../shared/data/screening/.

Measures, in one run and on one core (the process is pinned to a single CPU where the system
allows it): reading the snapshot, building the index, the latency of single queries (median, p90,
p99, max) and the throughput of a batch. The queries are the variants and unlisted names of
`screening_quality.py` (same generator, fixed seed), drawn until there are `--queries` of them.

Two baselines are measured in the same run, on the same queries and the same names (every listed
name and alias): a plain dictionary lookup of the upper-cased name (exact matches only, the
floor), and rapidfuzz's `process.extractOne` with `fuzz.WRatio` over all names (a fuzzy scan of
every name, what a matcher without candidate retrieval does). Figures are given absolute and as
ratios to the baselines.

Run: `.venv/bin/python benchmarks/screening.py [--queries N] [--scan-queries N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process, utils
from screening_quality import DATA, FILES, negatives, positives

from dualcontrol.screening import Screener, read_list


def pin_to_one_core() -> str:
    """Run on a single CPU if the system lets us; say which."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def latencies(run: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    """Seconds per query, one measurement per query."""
    out: list[float] = []
    clock = time.perf_counter
    for query in queries:
        start = clock()
        run(query)
        out.append(clock() - start)
    return out


def summary(times: list[float]) -> dict[str, float]:
    """Median, p90, p99, max and mean, in microseconds."""
    ordered = sorted(times)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1e6

    return {
        "median": statistics.median(ordered) * 1e6,
        "p90": at(0.90),
        "p99": at(0.99),
        "max": ordered[-1] * 1e6,
        "mean": statistics.fmean(ordered) * 1e6,
    }


def row(label: str, figures: dict[str, float]) -> str:
    """A Markdown table row of latency figures."""
    cells = " | ".join(f"{figures[k]:,.0f}" for k in ("median", "p90", "p99", "max", "mean"))
    return f"| {label} | {cells} |"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--scan-queries", type=int, default=1_000, help="queries for the scan")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    paths = [DATA / name for name in FILES]
    if not all(p.exists() for p in paths):
        print(f"skipped: OFAC snapshot not found in {DATA}", file=sys.stderr)
        return 0
    pinned = pin_to_one_core()

    start = time.perf_counter()
    entries = list(read_list("ofac-sdn", paths).entries)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    screener = Screener.from_entries(entries, dataset="ofac-sdn", fmt="ofac-sdn")
    build_seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    names = [n for e in entries for n in (e.name, *(a.name for a in e.aliases))]
    start = time.perf_counter()
    exact: dict[str, list[int]] = {}
    for number, name in enumerate(names):
        exact.setdefault(name.upper(), []).append(number)
    dict_build = time.perf_counter() - start
    start = time.perf_counter()
    processed = [utils.default_process(n) for n in names]
    scan_build = time.perf_counter() - start

    rng = random.Random(args.seed)
    pool = [c.query for c in positives(entries, rng, 1500) + negatives(entries, rng, 3000)]
    queries = [rng.choice(pool) for _ in range(args.queries)]

    for query in queries[:200]:
        screener.screen(query)
    ours = summary(latencies(screener.screen, queries))
    start = time.perf_counter()
    screener.screen_many(queries)
    batch_seconds = time.perf_counter() - start
    floor = summary(latencies(lambda q: exact.get(q.upper()), queries))

    def scan(query: str) -> object:
        return process.extractOne(
            utils.default_process(query), processed, scorer=fuzz.WRatio, processor=None
        )

    scanned = queries[: args.scan_queries]
    full_scan = summary(latencies(scan, scanned))
    ours_on_scanned = summary(latencies(screener.screen, scanned))

    print(f"OFAC SDN 2021-07: {len(entries)} entries, {len(names)} names and aliases; {pinned}")
    print(f"algorithm: {screener.algorithm}; Python {sys.version.split()[0]}")
    print()
    print("| step | seconds |")
    print("|---|---|")
    print(f"| read the three OFAC files | {read_seconds:.2f} |")
    print(f"| build the screening index | {build_seconds:.2f} |")
    print(f"| baseline: build the exact-name dict | {dict_build:.3f} |")
    print(f"| baseline: preprocess names for the scan | {scan_build:.3f} |")
    print(f"\nmax RSS after building: {rss_mb:.0f} MB")
    print(f"\nper query, microseconds ({len(queries)} queries; scan: first {len(scanned)}):\n")
    print("| | median | p90 | p99 | max | mean |")
    print("|---|---|---|---|---|---|")
    print(row("dualcontrol screen", ours))
    print(row("baseline: exact dict lookup", floor))
    print(row("dualcontrol screen (scan's queries)", ours_on_scanned))
    print(row("baseline: rapidfuzz extractOne WRatio", full_scan))
    print(
        f"\nbatch of {len(queries)}: {batch_seconds:.2f} s, "
        f"{len(queries) / batch_seconds:,.0f} queries/s"
    )
    ratio = full_scan["median"] / ours_on_scanned["median"]
    print(
        f"\nratios (median): screen is {ratio:.1f}x faster than the full rapidfuzz scan "
        f"(p99 {full_scan['p99'] / ours_on_scanned['p99']:.1f}x) and "
        f"{ours['median'] / floor['median']:.0f}x slower than an exact dict lookup"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
