"""Safety properties of rulesets, for property-based regression suites.

Each function checks one property for one case and returns the violations it found (an empty
tuple when the property holds), so a Hypothesis test can `assert not violations` and show them
when it fails:

- `monotonic`: a change that only adds risk (a red flag, a listed party, a WMD purpose) never
  makes the case or any line less restrictive;
- `fail_closed`: a line whose classification the rules cannot know is never cleared;
- `engines_agree`: both engines give the same decision, byte for byte;
- `deterministic`: deciding twice gives the same bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .case import parse_case
from .policy import Policy
from .vocab import Outcome

__all__ = [
    "add_purpose",
    "add_red_flag",
    "add_screening_hit",
    "deterministic",
    "engines_agree",
    "fail_closed",
    "monotonic",
]

CaseData = Mapping[str, Any]
Change = Callable[[dict[str, Any]], None]

PERMISSIVE = (Outcome.NO_LICENSE_REQUIRED, Outcome.LICENSE_EXCEPTION)


def _lines(decision: Any) -> dict[str, Outcome]:
    return {line.item: line.outcome for line in decision.lines}


def monotonic(policy: Policy, case: CaseData, change: Change) -> tuple[str, ...]:
    """Violations of: applying `change` (which only adds risk) never lowers an outcome."""
    before = policy.check(parse_case(case))
    changed = copy.deepcopy(dict(case))
    change(changed)
    after = policy.check(parse_case(changed))
    found = []
    if after.outcome.rank < before.outcome.rank:
        found.append(f"case went from {before.outcome.value} to {after.outcome.value}")
    old = _lines(before)
    for item, outcome in _lines(after).items():
        if outcome.rank < old[item].rank:
            found.append(f"line {item} went from {old[item].value} to {outcome.value}")
    return tuple(found)


def fail_closed(policy: Policy, case: CaseData, lines: tuple[str, ...]) -> tuple[str, ...]:
    """Violations of: the named lines (whose classification the rules cannot know) are never
    `no_license_required` or `license_exception`."""
    outcomes = _lines(policy.check(parse_case(case)))
    return tuple(
        f"line {item} is {outcomes[item].value}" for item in lines if outcomes[item] in PERMISSIVE
    )


def engines_agree(policy: Policy, case: CaseData) -> tuple[str, ...]:
    """Violations of: the durable and reference engines give byte-identical decisions."""
    parsed = parse_case(case)
    durable = policy.check(parsed, engine="durable").to_json()
    reference = policy.check(parsed, engine="reference").to_json()
    return () if durable == reference else ("the engines disagree",)


def deterministic(policy: Policy, case: CaseData) -> tuple[str, ...]:
    """Violations of: the same case decided twice gives the same bytes."""
    parsed = parse_case(case)
    first, second = policy.check(parsed).to_json(), policy.check(parsed).to_json()
    return () if first == second else ("two decisions of the same case differ",)


def add_red_flag(code: str) -> Change:
    """A change that adds the red flag `code`."""

    def change(case: dict[str, Any]) -> None:
        case["red_flags"] = sorted({*case.get("red_flags", ()), code})

    return change


def add_purpose(code: str) -> Change:
    """A change that adds the declared purpose `code`."""

    def change(case: dict[str, Any]) -> None:
        end_use = case.setdefault("end_use", {})
        end_use["purposes"] = sorted({*end_use.get("purposes", ()), code})

    return change


def add_screening_hit(list_code: str, *, party: int = 0) -> Change:
    """A change that adds a matching hit on `list_code` for a party (one is added if the case
    has none)."""

    def change(case: dict[str, Any]) -> None:
        parties = case.setdefault("parties", [])
        if not parties:
            parties.append({"role": "end_user", "name": "Listed Party", "country": "DE"})
        hit = {
            "party": min(party, len(parties) - 1),
            "list": list_code,
            "entry_id": f"{list_code}-1",
            "name": parties[min(party, len(parties) - 1)]["name"],
        }
        case["screening"] = [*case.get("screening", ()), hit]

    return change
