"""Properties of the us-ear ruleset over generated cases: more risk is never less restrictive,
and what cannot be classified is never cleared."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcontrol import Policy
from dualcontrol.properties import (
    add_purpose,
    add_red_flag,
    add_screening_hit,
    engines_agree,
    fail_closed,
    monotonic,
)
from dualcontrol.strategies import cases
from dualcontrol.vocab import RED_FLAGS

TABLES = Path(__file__).resolve().parents[1] / "rulesets" / "us-ear" / "tables"
with (TABLES / "ccl_controls.csv").open(encoding="utf-8") as handle:
    SCOPES = sorted({row["scope"] for row in csv.DictReader(handle)})
with (TABLES / "country_chart.csv").open(encoding="utf-8") as handle:
    DESTINATIONS = sorted(row["code"] for row in csv.DictReader(handle))
with (TABLES / "ccl_entries.csv").open(encoding="utf-8") as handle:
    ENTRIES = {row["eccn"] for row in csv.DictReader(handle)}

UNKNOWN_ECCNS = st.builds(
    lambda category, group, number, tail: f"{category}{group}{number:03d}{tail}",
    st.integers(0, 9),
    st.sampled_from("ABCDE"),
    st.integers(0, 999),
    st.sampled_from(["", ".a", ".b.2"]),
).filter(lambda eccn: eccn.split(".")[0] not in ENTRIES)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(["us-ear"])


@st.composite
def ear_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Cases from the US with real ECCNs and real destinations."""
    case = draw(cases())
    case["exporter"]["country"] = "US"
    case["destination"] = draw(st.sampled_from([*DESTINATIONS, "HK"]))
    for item in case["items"]:
        item["eccn"] = draw(st.sampled_from([*SCOPES, "EAR99"]))
    return case


RISKS = st.one_of(
    st.sampled_from(sorted(RED_FLAGS)).map(add_red_flag),
    st.sampled_from(["nuclear", "missile", "chemical_biological_weapons", "military"]).map(
        add_purpose
    ),
    st.sampled_from(["entity_list", "denied_persons", "unverified_list"]).map(add_screening_hit),
)


@settings(max_examples=60)
@given(ear_cases(), RISKS)
def test_more_risk_is_never_less_restrictive(
    policy: Policy, case: dict[str, Any], risk: Any
) -> None:
    assert monotonic(policy, case, risk) == ()


@settings(max_examples=60)
@given(ear_cases(), UNKNOWN_ECCNS)
def test_an_unknown_eccn_is_never_permissive(
    policy: Policy, case: dict[str, Any], eccn: str
) -> None:
    case["items"][0]["eccn"] = eccn
    assert fail_closed(policy, case, (case["items"][0]["id"],)) == ()


@settings(max_examples=30)
@given(ear_cases())
def test_an_unclassified_item_is_never_permissive(policy: Policy, case: dict[str, Any]) -> None:
    case["items"][0].pop("eccn", None)
    assert fail_closed(policy, case, (case["items"][0]["id"],)) == ()


@settings(max_examples=30)
@given(ear_cases())
def test_both_engines_agree_on_us_ear(policy: Policy, case: dict[str, Any]) -> None:
    assert engines_agree(policy, case) == ()
