"""Engine benchmark: microseconds per case for the durable backend, the reference backend, and
the floor (raw durable-rules asserting the same facts into the same ruleset, no adapter).

All three are measured in one run, interleaved round by round so that machine noise hits them
alike; figures are reported absolutely and as ratios to the floor. A second part measures RSS
growth over many cases. Run: `python benchmarks/engine.py [--cases N] [--memory-cases N]`.

Targets (issue 2): the durable backend within 2x of the floor; at least 3,000 cases/s on one
core for a case of one line and two parties (the whole `Policy.check`); RSS growth under 20 MB
over 100,000 cases.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import durable_rules_engine

from dualcontrol import Case, Policy, parse_case
from dualcontrol.compile import compile_program
from dualcontrol.engine_durable import DurableEngine
from dualcontrol.engine_reference import run_reference
from dualcontrol.facts import case_facts, encode
from dualcontrol.run import table_facts

ROOT = Path(__file__).resolve().parents[1]


def bench_case() -> Case:
    """One line, two parties: the shape the throughput target names."""
    data = json.loads((ROOT / "examples" / "oscilloscope-to-germany.json").read_text())
    data["parties"].append(
        {"role": "consignee", "name": "Spedition Müller", "country": "DE", "kind": "company"}
    )
    return parse_case(data)


def floor_runners(policy: Policy, case: Case) -> tuple[Callable[[], int], Callable[[], int]]:
    """Raw durable-rules on the same ruleset and the same facts, written by hand: the facts as
    dicts serialised with `json.dumps` (the floor), and the same with the text prepared once
    (the C engine alone)."""
    ruleset = policy.rulesets[0]
    facts = case_facts(case, case.date)
    facts = facts + table_facts(ruleset.tables, facts)
    program = compile_program(ruleset, case.date)
    handle = durable_rules_engine.create_ruleset(
        "floor", encode(json.loads(json.dumps(program.durable_definition())))
    )
    batch = [
        {"sid": "1", "id": str(n + 1), "_t": f.type, **dict(f.fields)} for n, f in enumerate(facts)
    ]
    batch.append({"sid": "1", "id": str(len(facts) + 1), "_t": "__end__"})
    prepared = json.dumps(batch, ensure_ascii=False)

    def drain(text: str) -> int:
        _, state = durable_rules_engine.assert_facts(handle, text)
        started = durable_rules_engine.start_action_for_state(handle, state)
        message = started[1] if started else None
        fired = 0
        while message:
            json.loads(message)
            fired += 1
            message = durable_rules_engine.complete_and_start_action(handle, state)
        durable_rules_engine.delete_state(handle, "1")
        return fired

    return (lambda: drain(json.dumps(batch, ensure_ascii=False))), (lambda: drain(prepared))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def measure(cases: int, rounds: int) -> dict[str, list[float]]:
    policy = Policy.load(["starter"])
    case = bench_case()
    ruleset = policy.rulesets[0]
    facts = case_facts(case, case.date)
    rows = table_facts(ruleset.tables, facts)
    program = compile_program(ruleset, case.date)
    engine = DurableEngine(program)
    floor, engine_only = floor_runners(policy, case)
    runners: dict[str, Callable[[], object]] = {
        "floor": floor,
        "engine only": engine_only,
        "durable": lambda: engine.run(facts, rows),
        "reference": lambda: run_reference(program, facts + rows),
        "check durable": lambda: policy.check(case, engine="durable"),
        "check reference": lambda: policy.check(case, engine="reference"),
    }
    for run in runners.values():
        for _ in range(200):
            run()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    per_round = max(1, cases // rounds)
    gc.collect()
    for _ in range(rounds):
        for name, run in runners.items():
            timings = samples[name]
            for _ in range(per_round):
                start = time.perf_counter_ns()
                run()
                timings.append((time.perf_counter_ns() - start) / 1000)
    return samples


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(cases: int) -> tuple[float, float]:
    policy = Policy.load(["starter"])
    case = bench_case()
    for _ in range(2_000):
        policy.check(case)
    gc.collect()
    before = rss_mb()
    for _ in range(cases):
        policy.check(case)
    gc.collect()
    return before, rss_mb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="timed cases per backend")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--memory-cases", type=int, default=100_000)
    args = parser.parse_args(argv)
    samples = measure(args.cases, args.rounds)
    floor = statistics.median(samples["floor"])
    print(f"python {sys.version.split()[0]}, one process, {args.cases} cases per row")
    print("case: one line, two parties; ruleset: starter")
    print(f"{'':<16} {'median us':>10} {'p99 us':>9} {'cases/s':>9} {'x floor':>8}")
    for name, timings in samples.items():
        median = statistics.median(timings)
        print(
            f"{name:<16} {median:>10.1f} {percentile(timings, 0.99):>9.1f} "
            f"{1e6 / median:>9.0f} {median / floor:>8.2f}"
        )
    print(
        "floor: hand-written durable-rules (facts as dicts, json.dumps, assert, drain); "
        "engine only: the same with the JSON prepared once;\n"
        "durable/reference: the backends on the same facts; "
        "check: the whole decision (facts, tables, engine, decide) from a parsed case"
    )
    if args.memory_cases:
        before, after = memory(args.memory_cases)
        print(
            f"RSS over {args.memory_cases} cases: {before:.1f} MB -> {after:.1f} MB "
            f"(growth {after - before:+.1f} MB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
