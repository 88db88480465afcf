"""The policy: no global state, thread safety, engine choice."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dualcontrol import Policy, RulesetError, load_ruleset


def test_threads_share_a_policy_safely(base_case: dict[str, Any]) -> None:
    policy = Policy.load(["starter"])
    destinations = ["DE", "CN", "IN", "CU", "CA"]
    expected = {}
    for destination in destinations:
        expected[destination] = policy.check(dict(base_case, destination=destination)).to_json()
    failures: list[str] = []

    def worker(offset: int) -> None:
        for n in range(40):
            destination = destinations[(n + offset) % len(destinations)]
            got = policy.check(dict(base_case, destination=destination)).to_json()
            if got != expected[destination]:
                failures.append(destination)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_two_policies_do_not_share_engines(base_case: dict[str, Any]) -> None:
    first, second = Policy.load(["starter"]), Policy.load(["starter"])
    decision = first.check(base_case)
    first.close()
    assert second.check(base_case).to_json() == decision.to_json()


def test_default_policy_picks_rulesets_by_exporter_country(base_case: dict[str, Any]) -> None:
    policy = Policy.load()
    assert {r.id for r in policy.rulesets} >= {"starter", "us-ear"}
    decision = policy.check(base_case)
    assert [rid for rid, _, _ in decision.rulesets] == ["us-ear"]
    base_case["exporter"]["country"] = "FR"
    decision = policy.check(base_case)
    assert decision.rulesets == () and decision.outcome.value == "review"


def test_a_ruleset_cannot_be_given_twice() -> None:
    starter = load_ruleset("starter")
    with pytest.raises(RulesetError, match="given more than once"):
        Policy([starter, starter])


def test_unknown_engine_is_refused(base_case: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown engine `drools`"):
        Policy.load(["starter"]).check(base_case, engine="drools")
