"""The durable-rules adapter and the reference evaluator must agree, on any ruleset and case.

Rulesets and cases are generated (`dualcontrol.strategies`); both engines must give the same
set of firings, the same derived facts and byte-identical decision JSON. Set
HYPOTHESIS_PROFILE=thorough for 2,000 examples per test.
"""

from __future__ import annotations

import json
from typing import Any

import durable_rules_engine
from hypothesis import given, note
from hypothesis import strategies as st

from dualcontrol import Policy
from dualcontrol.facts import dump_json
from dualcontrol.safe_regex import parse
from dualcontrol.strategies import cases, rulesets
from dualcontrol.tree import Ruleset


@given(rulesets(), st.lists(cases(), min_size=1, max_size=3))
def test_both_engines_agree(ruleset: Ruleset, generated: list[dict[str, Any]]) -> None:
    policy = Policy([ruleset])
    try:
        for case in generated:
            durable = policy.check(case, engine="durable")
            reference = policy.check(case, engine="reference")
            (durable_run,), (reference_run,) = durable.runs, reference.runs
            assert durable_run.result is not None, durable_run.fault
            assert reference_run.result is not None, reference_run.fault
            note(f"firings: {durable_run.result.firings}")
            assert durable_run.result.firings == reference_run.result.firings
            assert set(durable_run.result.facts) == set(reference_run.result.facts)
            assert durable.to_json() == reference.to_json()
    finally:
        policy.close()


REGEXES = st.sampled_from(
    [
        "[0-9]A[0-9][0-9][0-9].*",
        "3A001(\\..*)?",
        "(CN|DE|US)",
        "[^A]+",
        "a.c",
        ".*ü.*",
        "[a-z]+ [A-Z]?",
        "x*y+z?",
        "\\(x\\)",
        "[%-]+",
        "[\\]x]+",
        "[a\\-z]",
        "100%",
        "[^^]*",
        "東京.*",
    ]
)
TEXT = st.lists(
    st.sampled_from([*'aAcxyz09 .-%()[]^ü東京"\\', "3A001", "CN", "DE", "x)"]), max_size=6
).map("".join)


@given(REGEXES, st.lists(TEXT, min_size=1, max_size=8))
def test_safe_regex_means_the_same_in_both_engines(source: str, values: list[str]) -> None:
    regex = parse(source)
    rules = {
        "r": {"all": [{"m": {"$and": [{"_t": "s"}, {"$mt": {"v": regex.durable}}]}}]},
        "end": {"all": [{"e": {"_t": "end"}}], "pri": 65535},
    }
    handle = durable_rules_engine.create_ruleset("regex", dump_json(rules))
    try:
        facts = [{"sid": "1", "id": str(n + 1), "_t": "s", "v": v} for n, v in enumerate(values)]
        facts.append({"sid": "1", "id": str(len(values) + 1), "_t": "end"})
        _, state = durable_rules_engine.assert_facts(handle, dump_json(facts))
        matched: set[int] = set()
        started = durable_rules_engine.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            ((name, bound),) = json.loads(message).items()
            if name == "r":
                matched.add(int(bound["m"]["id"]) - 1)
            message = durable_rules_engine.complete_and_start_action(handle, state)
        durable_rules_engine.delete_state(handle, "1")
    finally:
        durable_rules_engine.delete_ruleset(handle)
    expected = {n for n, v in enumerate(values) if regex.python.fullmatch(v)}
    assert matched == expected
