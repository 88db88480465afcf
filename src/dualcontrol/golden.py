"""Golden cases: a case, the date to decide it on, and what the decision must say.

A golden file (YAML) holds one case with its expectations and the reason for them, so a
policy drafter can change a rule and see which answers moved:

    description: why this case expects what it expects, citing the paragraph
    as_of: 2026-11-26            # optional; default: the case's date
    case: {...}                  # the case, as JSON-shaped YAML
    expect:
      outcome: license_required
      lines: {"10": license_required}          # optional
      reasons: [chart.license]                 # rule ids among the decisive findings
      fired: [chart.requirement]               # rule ids that must fire (any action)
      not_fired: [exception.lvs]               # rule ids that must not fire
      open_items: ["sub-paragraph"]            # text each open item question must contain

`run_goldens` checks every file against a policy and reports, besides failures, which rules
no golden case made fire (coverage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from .case import parse_case
from .decide import Decision
from .errors import CaseError, Problem
from .policy import Policy

__all__ = ["Golden", "GoldenReport", "GoldenResult", "load_golden", "run_goldens"]

_EXPECT_KEYS = {"outcome", "lines", "reasons", "fired", "not_fired", "open_items"}


@attrs.frozen
class Golden:
    """One golden case and its expectations."""

    path: Path
    description: str
    case: Mapping[str, Any]
    as_of: dt.date | None
    expect: Mapping[str, Any]


@attrs.frozen
class GoldenResult:
    """The outcome of one golden case: the differences from what was expected (none: pass)."""

    golden: Golden
    failures: tuple[str, ...]
    fired: frozenset[str]


@attrs.frozen
class GoldenReport:
    """Results of a set of golden cases, and the rules none of them made fire."""

    results: tuple[GoldenResult, ...]
    unfired: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether every golden case passed."""
        return all(not r.failures for r in self.results)


def load_golden(path: Path) -> Golden:
    """Read one golden file; `CaseError` (with the file) when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CaseError([Problem(f"cannot read golden case: {error}", file=str(path))]) from None
    problems = []
    if not isinstance(data, dict):
        problems.append("a golden file is a mapping")
        data = {}
    unknown = set(data) - {"description", "as_of", "case", "expect"}
    problems += [f"unknown key `{key}`" for key in sorted(unknown)]
    for key in ("description", "case", "expect"):
        if key not in data:
            problems.append(f"missing `{key}`")
    expect = data.get("expect") or {}
    problems += [f"unknown expectation `{key}`" for key in sorted(set(expect) - _EXPECT_KEYS)]
    as_of = data.get("as_of")
    if as_of is not None and not isinstance(as_of, dt.date):
        problems.append("`as_of` must be a date")
    if problems:
        raise CaseError([Problem(p, file=str(path)) for p in problems])
    case = _jsonable(data["case"])
    return Golden(path, str(data["description"]).strip(), case, as_of, expect)


def _jsonable(value: Any) -> Any:
    """YAML reads ISO dates as dates; the case contract wants strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _local(rule: str) -> str:
    return rule.rpartition("/")[2]


def check_golden(golden: Golden, decision: Decision) -> tuple[str, ...]:
    """Every difference between the decision and the golden expectations."""
    expect = golden.expect
    failures: list[str] = []
    if "outcome" in expect and decision.outcome.value != expect["outcome"]:
        failures.append(f"outcome is `{decision.outcome.value}`, expected `{expect['outcome']}`")
    lines = {line.item: line.outcome.value for line in decision.lines}
    for item, outcome in (expect.get("lines") or {}).items():
        if lines.get(str(item)) != outcome:
            failures.append(f"line `{item}` is `{lines.get(str(item))}`, expected `{outcome}`")
    reasons = {_local(f.rule) for f in decision.reasons}
    for rule in expect.get("reasons") or ():
        if rule not in reasons:
            failures.append(f"`{rule}` is not among the reasons ({', '.join(sorted(reasons))})")
    fired = _fired(decision)
    known = {rule_id for run in decision.runs for rule_id in run.ruleset.rules_by_id}
    named = [
        *(expect.get("fired") or ()),
        *(expect.get("not_fired") or ()),
        *(expect.get("reasons") or ()),
    ]
    failures += [f"no rule `{rule}` in the rulesets" for rule in named if _local(rule) not in known]
    for rule in expect.get("fired") or ():
        if rule not in fired and _local(rule) in known:
            failures.append(f"`{rule}` did not fire: {decision.why_not(rule).reason}")
    for rule in expect.get("not_fired") or ():
        if rule in fired:
            failures.append(f"`{rule}` fired but was expected not to")
    questions = [o.question for o in decision.open_items]
    for text in expect.get("open_items") or ():
        if not any(text in q for q in questions):
            failures.append(f"no open item mentions `{text}` ({'; '.join(questions) or 'none'})")
    return tuple(failures)


def _fired(decision: Decision) -> frozenset[str]:
    return frozenset(
        firing.rule_id
        for run in decision.runs
        if run.result is not None
        for firing in run.result.firings
    )


def _golden_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    return files


def run_goldens(policy: Policy, paths: Iterable[Path], *, engine: str = "durable") -> GoldenReport:
    """Decide every golden case under `paths` and compare with its expectations."""
    results = []
    all_fired: set[str] = set()
    for file in _golden_files(paths):
        golden = load_golden(file)
        try:
            decision = policy.check(parse_case(golden.case), as_of=golden.as_of, engine=engine)
        except CaseError as error:
            results.append(
                GoldenResult(
                    golden, tuple(f"invalid case: {p}" for p in error.problems), frozenset()
                )
            )
            continue
        all_fired.update(
            f"{run.ruleset.id}/{firing.rule_id}"
            for run in decision.runs
            if run.result is not None
            for firing in run.result.firings
        )
        results.append(GoldenResult(golden, check_golden(golden, decision), _fired(decision)))
    every_rule = {f"{r.id}/{rule.id}" for r in policy.rulesets for rule in r.rules}
    return GoldenReport(tuple(results), tuple(sorted(every_rule - all_fired)))
