"""Golden cases: every shipped ruleset answers its golden cases, and every rule is exercised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dualcontrol import Policy, shipped_rulesets
from dualcontrol.errors import CaseError
from dualcontrol.golden import load_golden, run_goldens

from .conftest import WriteRuleset

GOLDEN = Path(__file__).parent / "golden"
SUITES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("ruleset", SUITES)
@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_golden_cases(ruleset: str, engine: str) -> None:
    report = run_goldens(Policy.load([ruleset]), [GOLDEN / ruleset], engine=engine)
    failures = [
        f"{r.golden.path.name}: {'; '.join(r.failures)}" for r in report.results if r.failures
    ]
    assert failures == []
    assert report.results


@pytest.mark.parametrize("ruleset", SUITES)
def test_every_rule_is_exercised(ruleset: str) -> None:
    report = run_goldens(Policy.load([ruleset]), [GOLDEN / ruleset])
    assert report.unfired == ()


def test_every_shipped_ruleset_has_golden_cases() -> None:
    assert set(shipped_rulesets()) <= set(SUITES)


def test_a_wrong_expectation_is_reported(tmp_path: Path) -> None:
    source = (GOLDEN / "starter" / "ns2-to-china.yaml").read_text()
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        source.replace("outcome: license_required", "outcome: no_license_required").replace(
            "not_fired: [exception.lvs]", "not_fired: [chart.license]"
        )
    )
    (result,) = run_goldens(Policy.load(["starter"]), [wrong]).results
    assert result.failures == (
        "outcome is `license_required`, expected `no_license_required`",
        "`chart.license` fired but was expected not to",
    )


def test_malformed_golden_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: x\ncase: {}\nexpect: {outcom: review}\nextra: 1\n")
    with pytest.raises(CaseError) as caught:
        load_golden(bad)
    assert [p.message for p in caught.value.problems] == [
        "unknown key `extra`",
        "unknown expectation `outcom`",
    ]


def test_coverage_tells_apart_rules_of_the_same_id_in_two_rulesets(
    write_ruleset: WriteRuleset, base_case: dict[str, Any], tmp_path: Path
) -> None:
    def ruleset(ruleset_id: str, destination: str) -> Path:
        body = f"""\
        rules:
          - id: shared
            title: t
            cite: c
            when:
              - case: {{destination: {destination}}}
            decide: {{outcome: review, rationale: r}}
        """
        return write_ruleset(body, ruleset_id=ruleset_id)

    policy = Policy.load([ruleset("one", base_case["destination"]), ruleset("two", "FR")])
    golden = tmp_path / "golden.yaml"
    golden.write_text(json.dumps({"description": "d", "case": base_case, "expect": {}}))
    report = run_goldens(policy, [golden])
    assert report.passed
    assert report.unfired == ("two/shared",)
