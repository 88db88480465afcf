"""Decisions explain themselves, deterministically, in every format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dualcontrol import Policy, decision_to_dict, render, why_not


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(["starter"])


def china_case(base_case: dict[str, Any]) -> dict[str, Any]:
    base_case["destination"] = "CN"
    base_case["items"].append(
        {"id": "20", "eccn": "3A001", "quantity": 1, "unit_value": 100, "currency": "USD"}
    )
    base_case["red_flags"] = ["cash_payment"]
    return base_case


def test_decision_json_has_the_documented_shape(policy: Policy, base_case: dict[str, Any]) -> None:
    data = json.loads(policy.check(china_case(base_case)).to_json())
    assert list(data) == [
        "case",
        "outcome",
        "as_of",
        "rulesets",
        "lines",
        "reasons",
        "other_findings",
        "open_items",
    ]
    assert data["outcome"] == "license_required"
    assert data["rulesets"][0]["id"] == "starter" and data["rulesets"][0]["digest"].startswith(
        "sha256:"
    )
    reason = next(r for r in data["reasons"] if r["rule"] == "starter/chart.license")
    assert reason["cite"] == "15 CFR 738.4(a)(2)(ii)"
    assert reason["requirement"] == "chart" and reason["lines"] == ["20"]
    assert reason["facts"][0]["type"] == "requirement"
    (derived, *inputs) = sorted(reason["because"], key=lambda s: s["type"] != "requirement")
    assert derived["derived_by"][0]["rule"] == "starter/chart.requirement"
    assert {s["fact"] for s in inputs} == set(derived["derived_by"][0]["facts"])
    assert "NS controls apply to line 20" in reason["rationale"]


def test_same_case_same_bytes(policy: Policy, base_case: dict[str, Any]) -> None:
    case = china_case(base_case)
    first = policy.check(case).to_json()
    assert policy.check(case).to_json() == first
    assert Policy.load(["starter"]).check(case).to_json() == first
    assert policy.check(case, engine="reference").to_json() == first
    assert "timestamp" not in first and "2026-11-26T" not in first


def test_every_format_reads_the_same_record(policy: Policy, base_case: dict[str, Any]) -> None:
    decision = policy.check(china_case(base_case))
    text = decision.explain()
    markdown = render(decision, "markdown")
    data = decision_to_dict(decision)
    for finding in decision.reasons:
        assert finding.id in text and f"`{finding.id}`" in markdown
        assert finding.rationale in text and finding.rationale in markdown
    assert text.startswith("case SO-2026-0042: license_required (as of 2026-11-26)")
    assert markdown.startswith("# Decision on case `SO-2026-0042`: **license_required**")
    assert "open items:" in text and "classify the item to a sub-paragraph" in text
    assert data["open_items"][0]["question"] == "classify the item to a sub-paragraph"
    with pytest.raises(ValueError, match="unknown format `html`"):
        render(decision, "html")


def test_why_not_names_the_first_unmet_condition(policy: Policy, base_case: dict[str, Any]) -> None:
    decision = policy.check(china_case(base_case))
    answer = why_not(decision, "starter/exception.lvs")
    assert not answer.fired
    assert answer.pattern == 1 and answer.alias == "c" and answer.field == "lvs"
    assert answer.actual == "missing" and answer.expected == "present"
    assert "closest is `controls:1`" in answer.reason
    answer = decision.why_not("guard.lvs-splitting")
    assert answer.alias == "i" and answer.field == "quantity"
    assert answer.expected == "> 100.0" and answer.actual == "2.0"
    assert decision.why_not("embargo.destination").reason == (
        "no fact of type `embargoes` for pattern 2 (`e`)"
    )
    assert decision.why_not("chart.license").fired
    with pytest.raises(KeyError, match="no rule `nope`"):
        why_not(decision, "nope")


def test_why_not_reports_rules_out_of_force(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["date"] = "2026-03-15"
    decision = policy.check(base_case)
    assert decision.why_not("guard.lvs-splitting").reason == (
        "`starter/guard.lvs-splitting` is not in force on 2026-03-15"
    )


def test_why_not_shows_join_values(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["destination"] = "IN"
    base_case["items"][0].update(eccn="2B001", unit_value=6000, quantity=1)
    decision = policy.check(base_case)
    answer = decision.why_not("exception.lvs")
    assert (answer.pattern, answer.alias, answer.field) == (2, "i", "value")
    assert answer.expected == "<= c.lvs (= USD 5000.00)" and answer.actual == "USD 6000.00"
