"""Input facts follow their declared schema exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from dualcontrol import parse_case
from dualcontrol.facts import BUILTIN_FACT_TYPES, case_facts, engine_string
from dualcontrol.strategies import cases
from dualcontrol.tree import FieldType

PYTHON_TYPES = {
    FieldType.STRING: str,
    FieldType.INTEGER: int,
    FieldType.NUMBER: float,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: int,
    FieldType.MONEY: int,
}


@given(cases())
def test_input_facts_match_their_schema(data: dict[str, Any]) -> None:
    case = parse_case(data)
    facts = case_facts(case, case.date)
    assert [f.key for f in facts] == sorted(f.key for f in facts)
    assert len({f.key for f in facts}) == len(facts)
    for fact in facts:
        schema = BUILTIN_FACT_TYPES[fact.type].field_types()
        names = [name for name, _ in fact.fields]
        assert names == sorted(names), fact.key
        for name, value in fact.fields:
            assert type(value) is PYTHON_TYPES[schema[name]], (fact.key, name, value)


def test_each_classification_level_is_a_fact(base_case: dict[str, Any]) -> None:
    base_case["items"][0].update(eccn="3A001.b.2", eu_control="3A001.b")
    case = parse_case(base_case)
    levels = [
        (f.get("regime"), f.get("ref"), f.get("depth"), f.get("exact"))
        for f in case_facts(case, case.date)
        if f.type == "classification"
    ]
    assert sorted(levels) == [
        ("ccl", "3A001", 0, False),
        ("ccl", "3A001.b", 1, False),
        ("ccl", "3A001.b.2", 2, True),
        ("eu", "3A001", 0, False),
        ("eu", "3A001.b", 1, True),
    ]


def test_control_characters_become_spaces() -> None:
    assert engine_string("line one\nline\ttwo\x7f") == "line one line two "
    assert engine_string("Müller 東京") == "Müller 東京"
