"""The case contract (v1): what is accepted, what is refused, and how problems are reported."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from dualcontrol import CaseError, case_schema, case_to_dict, parse_case
from dualcontrol.facts import case_facts, minor_units


def problems(data: Any) -> list[str]:
    with pytest.raises(CaseError) as caught:
        parse_case(data)
    return [str(p) for p in caught.value.problems]


def test_contract_example_is_accepted(base_case: dict[str, Any]) -> None:
    case = parse_case(json.dumps(base_case))
    assert case.id == "SO-2026-0042"
    assert case.date == dt.date(2026, 11, 26)
    assert case.items[0].eccn == "3A992.a"
    assert case.items[0].unit_value == Decimal("18000.00")
    assert case.parties[0].kind == "research"
    assert case.transit == ("NL",)


def test_every_problem_is_reported_at_once_with_its_path(base_case: dict[str, Any]) -> None:
    base_case["destination"] = "DEU"
    base_case["items"][0]["eccn"] = "3a992.A"
    base_case["items"][0]["quantity"] = "two"
    base_case["parties"][0]["kind"] = "resarch"
    base_case["parties"][0]["destinaton"] = "DE"
    base_case["end_use"]["purposes"] = ["civil_resarch"]
    base_case["red_flags"] = ["cash"]
    found = problems(base_case)
    assert found == [
        "$.destination: unknown country code `DEU`: did you mean `DE`?",
        "$.end_use.purposes[0]: unknown purpose `civil_resarch`: did you mean `civil_research`?",
        "$.items[0].eccn: `3a992.A` is not a valid ECCN: did you mean `3A992.a`?",
        "$.items[0].quantity: expected a number, got a string",
        "$.parties[0].destinaton: unknown field `destinaton`",
        "$.parties[0].kind: unknown party kind `resarch`: did you mean `research`?",
        "$.red_flags[0]: unknown red flag `cash`",
    ]


def test_missing_required_fields_are_named() -> None:
    assert problems({"id": "x"}) == [
        "$.date: required field is missing",
        "$.destination: required field is missing",
        "$.exporter: required field is missing",
        "$.items: required field is missing",
    ]


def test_optional_fields_may_be_omitted(base_case: dict[str, Any]) -> None:
    for key in ("transit", "parties", "end_use", "red_flags"):
        del base_case[key]
    for key in ("description", "eccn", "eu_control", "medical_device"):
        del base_case["items"][0][key]
    case = parse_case(base_case)
    assert case.parties == ()
    assert case.end_use.purposes == ()
    assert case.items[0].eccn is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c.update(items=[]), "$.items: a case needs at least one item"),
        (lambda c: c["items"][0].update(quantity=0), "$.items[0].quantity: must be greater than 0"),
        (lambda c: c["items"].append(dict(c["items"][0])), "$.items[1].id: duplicate item id `10`"),
        (
            lambda c: c["items"][0].update(unit_value=-1),
            "$.items[0].unit_value: must be at least 0 and at most 1,000,000,000,000",
        ),
        (
            lambda c: c["items"][0].update(medical_device="no"),
            "$.items[0].medical_device: expected true or false",
        ),
        (lambda c: c.update(date="26.11.2026"), "$.date: `26.11.2026` is not a date"),
        (lambda c: c["items"][0].update(currency="usd"), "did you mean `USD`?"),
        (lambda c: c["exporter"].update(name="  "), "$.exporter.name: must not be empty"),
        (lambda c: c.update(transit="NL"), "$.transit: expected an array"),
    ],
)
def test_invalid_values_are_refused(base_case: dict[str, Any], mutate: Any, expected: str) -> None:
    mutate(base_case)
    assert any(expected in p for p in problems(base_case)), problems(base_case)


def test_json_text_is_parsed_exactly() -> None:
    with pytest.raises(CaseError, match="duplicate key `id`"):
        parse_case('{"id": "a", "id": "b"}')
    with pytest.raises(CaseError, match="`NaN` is not a JSON number"):
        parse_case('{"quantity": NaN}')
    with pytest.raises(CaseError) as caught:
        parse_case('{"id": ')
    assert caught.value.problems[0].line == 1


def test_strings_are_nfc_normalised(base_case: dict[str, Any]) -> None:
    base_case["parties"][0]["name"] = unicodedata.normalize("NFD", "Müller GmbH")
    case = parse_case(base_case)
    assert case.parties[0].name == "Müller GmbH"
    assert len(case.parties[0].name) == len("Müller GmbH")


def test_money_is_canonicalised_to_minor_units(base_case: dict[str, Any]) -> None:
    base_case["items"][0]["unit_value"] = Decimal("18000.005")
    item = next(
        f for f in case_facts(parse_case(base_case), dt.date(2026, 11, 26)) if f.type == "item"
    )
    assert item.get("unit_value") == 1_800_000  # half to even: 1800000.5 -> 1800000
    assert item.get("value") == 3_600_001  # 2 x 18000.005 = 36000.01
    assert minor_units(Decimal("5000"), "JPY") == 5000
    assert minor_units(Decimal("1.234"), "KWD") == 1234


def test_line_value_is_bounded(base_case: dict[str, Any]) -> None:
    base_case["items"][0]["quantity"] = 10**9
    base_case["items"][0]["unit_value"] = 10**12
    assert any("line value" in p for p in problems(base_case))


def test_case_round_trips_through_dict(base_case: dict[str, Any]) -> None:
    case = parse_case(base_case)
    assert parse_case(case_to_dict(case)) == case


def test_schema_is_derived_from_the_model_and_accepts_the_example(
    base_case: dict[str, Any],
) -> None:
    schema = case_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(base_case, schema)
    assert schema["required"] == ["id", "date", "exporter", "destination", "items"]
    assert "DE" in schema["properties"]["destination"]["enum"]
    item = schema["properties"]["items"]["items"]
    assert item["additionalProperties"] is False
    bad = dict(base_case, destination="XX")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_screening_hits_and_regions_are_validated(base_case: dict[str, Any]) -> None:
    base_case["destination_region"] = "krim"
    base_case["screening"] = [
        {"party": 0, "list": "entity_list", "entry_id": "EL-1", "name": "Acme", "score": 0.9},
        {"party": 5, "list": "entity list", "entry_id": "x", "name": "y", "basis": "affiliate"},
    ]
    assert problems(base_case) == [
        "$.destination_region: unknown region `krim`: did you mean `crimea`?",
        "$.screening[1]: an affiliate hit needs its `share`",
        "$.screening[1].list: unknown screening list `entity list`: did you mean `entity_list`?",
        "$.screening[1].party: no party with index 5 (the case has 1)",
    ]


def test_screening_hits_become_facts(base_case: dict[str, Any]) -> None:
    base_case["screening"] = [
        {
            "party": 0,
            "list": "entity_list",
            "entry_id": "EL-1",
            "name": "Acme",
            "score": 0.875,
            "basis": "affiliate",
            "share": 50,
            "license_policy": "Presumption of denial",
        },
    ]
    case = parse_case(base_case)
    (hit,) = [f for f in case_facts(case, case.date) if f.type == "screening_hit"]
    assert hit.as_dict() == {
        "basis": "affiliate",
        "entry_id": "EL-1",
        "license_policy": "Presumption of denial",
        "list": "entity_list",
        "listed_name": "Acme",
        "match": True,
        "party": 0,
        "score": 88,
        "share": 50.0,
        "source": "case",
    }
