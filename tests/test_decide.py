"""From firings to outcomes: fail closed, most restrictive wins, exceptions and guards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dualcontrol import Outcome, Policy, load_ruleset

from .conftest import WriteRuleset

RULES = """\
facts:
  concern:
    fields: {line: string, level: string}
rules:
  - id: known
    title: known classification
    cite: c1
    when:
      - item as i: {eccn: {exists: true}}
    decide: {outcome: no_license_required, rationale: "line {i.line} is classified"}
  - id: controlled
    title: controlled item
    cite: c2
    when:
      - item as i: {eccn_entry: 3A001}
    decide: {outcome: license_required, requirement: chart.NS, rationale: "{i.eccn} is controlled"}
  - id: nuclear
    title: nuclear end use
    cite: c3
    when:
      - purpose: {code: nuclear}
    decide: {outcome: prohibited, rationale: nuclear}
  - id: low-value
    title: low value
    cite: c4
    when:
      - item as i: {currency: USD, value: {"<=": {amount: 5000, currency: USD}}}
    exception: {name: LVS, discharges: ["chart.*"], rationale: "line {i.line} is low value"}
  - id: flagged
    title: red flag
    cite: c5
    when:
      - red_flag as f:
    guard: {blocks: ["*"], rationale: "{f.code}"}
  - id: worry
    title: a worrying line
    cite: c6
    when:
      - item as i: {description: {contains: centrifuge}}
    derive:
      concern: {line: {ref: i.line}, level: high}
  - id: escalate
    title: escalate a concern
    cite: c7
    effective: 2026-01-01
    suspended:
      - {from: 2026-06-01, until: 2026-07-01}
    when:
      - concern as k: {level: high}
    decide: {outcome: review, open: "ask the engineer", rationale: "line {k.line} raises a concern"}
"""


@pytest.fixture
def policy(write_ruleset: WriteRuleset) -> Policy:
    return Policy([load_ruleset(write_ruleset(RULES))])


def item(line: str, **fields: Any) -> dict[str, Any]:
    return {"id": line, "quantity": 1, "unit_value": 100, "currency": "USD", **fields}


def outcomes(decision: Any) -> dict[str, str]:
    return {line.item: line.outcome.value for line in decision.lines}


def test_a_line_no_rule_decides_is_review(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="EAR99"), item("20")]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "no_license_required", "20": "review"}
    assert decision.outcome is Outcome.REVIEW
    (open_item,) = decision.open_items
    assert open_item.item == "20" and open_item.findings == ("dualcontrol/undecided",)


def test_most_restrictive_line_decides_the_case(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="3A001.b", unit_value=10_000), item("20", eccn="EAR99")]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "license_required", "20": "no_license_required"}
    assert decision.outcome is Outcome.LICENSE_REQUIRED
    assert decision.lines[0].reasons == ("test/controlled#0",)
    assert [f.id for f in decision.other_findings] == ["test/known#0", "test/low-value#0"]


def test_an_exception_discharges_its_requirements(
    policy: Policy, base_case: dict[str, Any]
) -> None:
    base_case["items"] = [
        item("10", eccn="3A001.b", unit_value=4_000),
        item("20", eccn="3A001", unit_value=9_000),
    ]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "license_exception", "20": "license_required"}
    line = decision.lines[0]
    assert line.reasons == ("test/controlled#0", "test/low-value#0")
    assert line.discharged == (("test/controlled#0", ("test/low-value#0",)),)


def test_a_guard_blocks_the_exception(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="3A001.b", unit_value=4_000)]
    base_case["red_flags"] = ["cash_payment"]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "license_required"}
    assert decision.lines[0].blocked == (("test/low-value#0", ("test/flagged#0",)),)


def test_an_exception_never_lowers_a_prohibition(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="3A001.b", unit_value=4_000)]
    base_case["end_use"]["purposes"] = ["nuclear"]
    decision = policy.check(base_case)
    assert decision.outcome is Outcome.PROHIBITED
    assert decision.lines[0].reasons == ("test/nuclear#0",)


def test_case_level_findings_apply_to_every_line(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="EAR99"), item("20", eccn="EAR99")]
    base_case["end_use"]["purposes"] = ["nuclear"]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "prohibited", "20": "prohibited"}
    (finding,) = decision.reasons
    assert finding.lines is None


def test_derived_facts_concern_the_line_they_name(
    policy: Policy, base_case: dict[str, Any]
) -> None:
    base_case["items"] = [
        item("10", eccn="EAR99", description="gas centrifuge"),
        item("20", eccn="EAR99"),
    ]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "review", "20": "no_license_required"}
    (escalation,) = [f for f in decision.reasons if f.rule == "test/escalate"]
    assert escalation.lines == ("10",)
    step, source = sorted(escalation.because, key=lambda s: s.type)
    assert step.type == "concern" and step.derived_by[0].rule == "test/worry"
    assert step.derived_by[0].facts == ("item:10",)
    assert source.key == "item:10" and source.derived_by == ()
    assert dict(source.fields)["description"] == "gas centrifuge"
    assert [o.question for o in decision.open_items] == ["ask the engineer"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 12, 31), "no_license_required"),
        (dt.date(2026, 1, 1), "review"),
        (dt.date(2026, 6, 15), "no_license_required"),
        (dt.date(2026, 7, 1), "review"),
    ],
)
def test_effective_dates_and_suspensions(
    policy: Policy, base_case: dict[str, Any], day: dt.date, expected: str
) -> None:
    base_case["items"] = [item("10", eccn="EAR99", description="gas centrifuge")]
    assert policy.check(base_case, as_of=day).outcome.value == expected


def test_as_of_defaults_to_the_case_date(policy: Policy, base_case: dict[str, Any]) -> None:
    base_case["items"] = [item("10", eccn="EAR99", description="gas centrifuge")]
    base_case["date"] = "2025-05-01"
    decision = policy.check(base_case)
    assert decision.as_of == dt.date(2025, 5, 1) and decision.outcome is Outcome.NO_LICENSE_REQUIRED


def test_no_applicable_ruleset_is_review(
    write_ruleset: WriteRuleset, base_case: dict[str, Any]
) -> None:
    directory = write_ruleset(
        RULES.replace("facts:", "applies_to: {exporter_countries: [DE]}\nfacts:", 1)
    )
    policy = Policy([load_ruleset(directory)], applicable_only=True)
    decision = policy.check(base_case)
    assert decision.outcome is Outcome.REVIEW and decision.rulesets == ()
    assert any(
        o.findings == ("dualcontrol/no-ruleset",) and "`US`" in o.question
        for o in decision.open_items
    )
    base_case["exporter"]["country"] = "DE"
    assert policy.check(base_case).rulesets[0][0] == "test"


EXEMPTIONS = """\
facts:
  requirement:
    fields: {line: string, reason: string}
rules:
  - id: requires
    title: t
    cite: c
    when:
      - item as i: {eccn_entry: 9A515}
    derive:
      requirement: {line: {ref: i.line}, reason: NS}
  - id: license
    title: t
    cite: c
    when:
      - requirement as r:
    decide: {outcome: license_required, requirement: "chart.{r.reason}.9A515", rationale: r}
  - id: excepted
    title: t
    cite: c
    when:
      - item as i: {eccn: 9A515.x}
    exception:
      name: excluded
      outcome: no_license_required
      discharges: ["chart.NS.{i.eccn_entry}"]
      rationale: "{i.eccn} is excepted"
  - id: flagged
    title: t
    cite: c
    when:
      - red_flag:
    guard: {blocks: ["*"], rationale: r}
"""


def test_an_exemption_discharges_a_named_requirement_to_no_license(
    write_ruleset: WriteRuleset, base_case: dict[str, Any]
) -> None:
    policy = Policy([load_ruleset(write_ruleset(EXEMPTIONS))])
    base_case["items"] = [item("10", eccn="9A515.x"), item("20", eccn="9A515.a")]
    base_case["red_flags"] = ["cash_payment"]
    decision = policy.check(base_case)
    assert outcomes(decision) == {"10": "no_license_required", "20": "license_required"}
    (requirement,) = [
        f for f in decision.reasons if f.rule == "test/license" and f.lines == ("10",)
    ]
    assert requirement.requirement == "chart.NS.9A515"
    (exemption,) = [f for f in decision.reasons if f.kind == "exception"]
    assert exemption.discharges == ("chart.NS.9A515",)
    assert exemption.outcome is Outcome.NO_LICENSE_REQUIRED
    assert decision.lines[0].blocked == ()
