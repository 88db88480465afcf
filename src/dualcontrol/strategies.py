"""Hypothesis strategies for property-based tests of dualcontrol and of rulesets built on it.

- `cases()`: valid cases (JSON-shaped dicts, as an ERP would send them), drawn from small
  vocabularies so that rules actually match;
- `rulesets()`: random, well-typed rulesets over the built-in fact types, a derived fact type
  and a table, for differential tests of the two engines.

Each returns a `SearchStrategy`; combine them with `hypothesis.given`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .facts import BUILTIN_FACT_TYPES, date_value
from .rulesets import ruleset_digest
from .tree import (
    Condition,
    Decide,
    Derive,
    ExceptionRule,
    FactType,
    FieldType,
    Guard,
    Literal,
    Location,
    Op,
    Pattern,
    Ref,
    Rule,
    Ruleset,
    Table,
    Template,
)
from .vocab import (
    PARTY_KINDS,
    PARTY_ROLES,
    PURPOSES,
    RED_FLAGS,
    REGIONS,
    SCREENING_BASES,
    SCREENING_LISTS,
    Outcome,
)

__all__ = ["cases", "rulesets"]

COUNTRIES = ("US", "DE", "CN", "IN", "CU", "RU", "CA", "NL", "TR")
ECCNS = ("3A001", "3A001.b", "3A001.b.2", "3A992.a", "5A002", "2B001", "EAR99", "9A515.e")
TEXTS = (
    "Acme GmbH",
    "Müller AG",
    'The "Best" Co',
    "back\\slash",
    "東京 Trading",
    "x",
    "weapon lab",
)

_HERE = Location("<generated>", 1, 1)


def _money() -> st.SearchStrategy[Decimal]:
    return st.one_of(
        st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("18000.00"), Decimal("4999.99")]),
        st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False),
    )


def _quantity() -> st.SearchStrategy[Decimal]:
    return st.sampled_from(
        [
            Decimal("1"),
            Decimal("2"),
            Decimal("0.00001"),
            Decimal("1.5"),
            Decimal("100"),
            Decimal("1e8"),
        ]
    )


@st.composite
def _item(draw: st.DrawFn, line: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": line,
        "quantity": draw(_quantity()),
        "unit_value": draw(_money()),
        "currency": draw(st.sampled_from(["USD", "EUR", "JPY"])),
        "description": draw(st.sampled_from(TEXTS)),
        "medical_device": draw(st.booleans()),
    }
    eccn = draw(st.one_of(st.none(), st.sampled_from(ECCNS)))
    if eccn is not None:
        item["eccn"] = eccn
    if draw(st.booleans()):
        item["eu_control"] = draw(st.sampled_from(["3A001", "5A002.a", "2B001"]))
    return item


@st.composite
def _party(draw: st.DrawFn) -> dict[str, Any]:
    party: dict[str, Any] = {
        "role": draw(st.sampled_from(PARTY_ROLES)),
        "name": draw(st.sampled_from(TEXTS)),
        "country": draw(st.sampled_from(COUNTRIES)),
        "kind": draw(st.sampled_from(PARTY_KINDS)),
    }
    if draw(st.booleans()):
        party["address"] = draw(st.sampled_from(TEXTS))
    return party


@st.composite
def cases(draw: st.DrawFn, max_items: int = 3, max_parties: int = 3) -> dict[str, Any]:
    """A valid case as JSON-shaped data (decimals as `Decimal`)."""
    lines = draw(
        st.lists(
            st.sampled_from(["10", "20", "30", "40"]), min_size=1, max_size=max_items, unique=True
        )
    )
    case: dict[str, Any] = {
        "id": draw(st.sampled_from(["SO-1", "SO-2026-0042", "Auftrag Nr. 7"])),
        "date": draw(st.sampled_from(["2025-10-01", "2026-03-15", "2026-11-26"])),
        "exporter": {
            "name": "Acme Instruments Inc.",
            "country": draw(st.sampled_from(["US", "DE"])),
        },
        "destination": draw(st.sampled_from(COUNTRIES)),
        "transit": draw(st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True)),
        "items": [draw(_item(line)) for line in lines],
        "parties": draw(st.lists(_party(), max_size=max_parties)),
        "end_use": {
            "purposes": draw(st.lists(st.sampled_from(sorted(PURPOSES)), max_size=2, unique=True)),
            "statement_provided": draw(st.booleans()),
        },
        "red_flags": draw(st.lists(st.sampled_from(sorted(RED_FLAGS)), max_size=2, unique=True)),
    }
    if draw(st.booleans()):
        case["end_use"]["text"] = draw(st.sampled_from(TEXTS))
    if draw(st.integers(0, 4)) == 0:
        case["destination_region"] = draw(st.sampled_from(sorted(REGIONS)))
    if case["parties"]:
        case["screening"] = draw(st.lists(_hit(len(case["parties"])), max_size=2))
    return case


@st.composite
def _hit(draw: st.DrawFn, parties: int) -> dict[str, Any]:
    basis = draw(st.sampled_from(SCREENING_BASES))
    hit: dict[str, Any] = {
        "party": draw(st.integers(0, parties - 1)),
        "list": draw(st.sampled_from(sorted(SCREENING_LISTS))),
        "entry_id": draw(st.sampled_from(["EL-1", "DPL-7", "UVL-3"])),
        "name": draw(st.sampled_from(TEXTS)),
        "score": draw(st.sampled_from([Decimal("1"), Decimal("0.875"), Decimal("0.5")])),
        "match": draw(st.booleans()),
        "basis": basis,
    }
    if basis == "affiliate":
        hit["share"] = draw(st.sampled_from([Decimal("25"), Decimal("50"), Decimal("100")]))
    if draw(st.booleans()):
        hit["license_requirement"] = "For all items subject to the EAR"
        hit["license_policy"] = draw(st.sampled_from(["Presumption of denial", "Case-by-case"]))
    return hit


# -- rulesets -----------------------------------------------------------------------------------

_DERIVED = FactType(
    "flag",
    (("line", FieldType.STRING), ("tag", FieldType.STRING), ("n", FieldType.INTEGER)),
    "derived",
)
_TABLE_TYPE = FactType(
    "lookup",
    (
        ("country", FieldType.STRING),
        ("code", FieldType.STRING),
        ("n", FieldType.INTEGER),
        ("amount", FieldType.MONEY),
    ),
    "table",
    currencies=(("amount", "USD"),),
)
_ROWS: tuple[dict[str, Literal], ...] = (
    {"country": "DE", "code": "B", "n": 1, "amount": 500_000},
    {"country": "CN", "code": "D:1", "n": 2, "amount": 0},
    {"country": "US", "code": "A:1", "n": 3},
    {"country": "CU", "code": "E:1", "n": 0, "amount": 100},
    {"code": "X", "n": 5},
)
_TABLE_ROWS = tuple(tuple(sorted(row.items())) for row in _ROWS)

_STRING_POOLS: Mapping[str, tuple[str, ...]] = {
    "country": COUNTRIES,
    "destination": COUNTRIES,
    "exporter_country": ("US", "DE"),
    "eccn": ECCNS,
    "eccn_entry": ("3A001", "3A992", "5A002", "EAR99"),
    "eccn_category": ("3", "5", "9"),
    "eccn_group": ("A", "B"),
    "eu_control": ("3A001", "5A002.a"),
    "eu_entry": ("3A001", "5A002"),
    "ref": ("3A001", "3A001.b", "3A001.b.2", "EAR99", "5A002.a"),
    "entry": ("3A001", "EAR99", "5A002"),
    "regime": ("ccl", "eu"),
    "code": (*sorted(PURPOSES)[:4], *sorted(RED_FLAGS)[:3], "B", "D:1"),
    "list": ("entity_list", "denied_persons", "unverified_list"),
    "basis": SCREENING_BASES,
    "destination_region": ("crimea", "dnr"),
    "table": ("lookup",),
    "column": ("country", "code"),
    "value": COUNTRIES,
    "role": PARTY_ROLES,
    "kind": PARTY_KINDS,
    "line": ("10", "20", "30"),
    "currency": ("USD", "EUR"),
    "tag": ("a", "b"),
}
_TEXT_POOL = ("Acme GmbH", "Müller AG", "東京 Trading", "x", "weapon lab")
_CONTAINS = ("Acme", "ü", "Trading", "weapon", "A", "東京")
_REGEXES = (
    "[0-9]A[0-9][0-9][0-9].*",
    "3A001(\\..*)?",
    "(CN|DE|US)",
    "[^A]+",
    ".*ü.*",
    "M.ller AG",
    "[A-Z][a-z]+ [A-Z]+",
    "D:1?",
    "x+",
)
_NUMBERS = {
    FieldType.INTEGER: (0, 1, 2, 3, 5, 13, 50, 100),
    FieldType.NUMBER: (0.00001, 1.0, 1.5, 2.0, 25.0, 50.0, 100.0, 1e16),
    FieldType.MONEY: (0, 1, 100, 500_000, 1_800_000, 3_600_000),
    FieldType.DATE: (date_value(dt.date(2025, 10, 1)), date_value(dt.date(2026, 3, 15)), 20261126),
}


def _pool(field: str, field_type: FieldType) -> tuple[Literal, ...]:
    if field_type is FieldType.STRING:
        return _STRING_POOLS.get(field, _TEXT_POOL)
    if field_type is FieldType.BOOLEAN:
        return (True, False)
    return _NUMBERS[field_type]


_TYPES: tuple[FactType, ...] = (*BUILTIN_FACT_TYPES.values(), _DERIVED, _TABLE_TYPE)
_OPS_FOR = {
    FieldType.STRING: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.MATCHES, Op.EXISTS),
    FieldType.BOOLEAN: (Op.EQ, Op.NE, Op.EXISTS),
}
_ORDERED_OPS = (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.IN, Op.NOT_IN, Op.EXISTS)


@st.composite
def _condition(
    draw: st.DrawFn, fact_type: FactType, bound: Mapping[str, FactType]
) -> Condition | None:
    field, field_type = draw(st.sampled_from(fact_type.fields))
    if field_type is FieldType.MONEY:
        return None
    op = draw(st.sampled_from(_OPS_FOR.get(field_type, _ORDERED_OPS)))
    pool = _pool(field, field_type)
    value: Literal | Ref | tuple[Literal, ...]
    if op is Op.EXISTS:
        value = draw(st.booleans())
    elif op in (Op.IN, Op.NOT_IN):
        value = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
    elif op is Op.CONTAINS:
        value = draw(st.sampled_from(_CONTAINS))
    elif op is Op.MATCHES:
        value = draw(st.sampled_from(_REGEXES))
    else:
        refs = [
            Ref(alias, name)
            for alias, other in sorted(bound.items())
            for name, other_type in other.fields
            if other_type is field_type
        ]
        use_ref: bool = draw(st.booleans())
        value = draw(st.sampled_from(refs)) if refs and use_ref else draw(st.sampled_from(pool))
    return Condition(field, op, value, field_type, _HERE)


@st.composite
def _rule(draw: st.DrawFn, index: int) -> Rule:
    patterns: list[Pattern] = []
    bound: dict[str, FactType] = {}
    for position in range(draw(st.integers(min_value=1, max_value=3))):
        fact_type = draw(st.sampled_from(_TYPES))
        alias = f"p{position}"
        conditions = [
            c for c in draw(st.lists(_condition(fact_type, bound), max_size=3)) if c is not None
        ]
        patterns.append(Pattern(fact_type.name, alias, tuple(conditions), _HERE))
        bound[alias] = fact_type
    kind = draw(st.sampled_from(["derive", "decide", "decide", "exception", "guard"]))
    first = patterns[0].alias
    text = (
        Template(f"fired on {{{first}.line}}", (Ref(first, "line"),))
        if "line" in dict(bound[first].fields)
        else Template("fired", ())
    )
    action: Derive | Decide | ExceptionRule | Guard
    if kind == "derive":
        line_refs = [Ref(a, "line") for a, t in bound.items() if "line" in dict(t.fields)]
        line: Literal | Ref = draw(st.sampled_from(line_refs)) if line_refs else "10"
        action = Derive(
            "flag",
            (
                ("line", line),
                ("n", draw(st.sampled_from([1, 2]))),
                ("tag", draw(st.sampled_from(["a", "b"]))),
            ),
        )
    elif kind == "decide":
        outcome = draw(st.sampled_from(list(Outcome)))
        named = outcome is Outcome.LICENSE_REQUIRED and draw(st.booleans())
        requirement = Template("R1", ()) if named else None
        open_item = "question" if outcome is Outcome.REVIEW and draw(st.booleans()) else None
        action = Decide(outcome, text, requirement, open_item)
    elif kind == "exception":
        exemption = draw(st.booleans())
        action = ExceptionRule(
            draw(st.sampled_from(["E1", "E2"])),
            (Template("R*", ()),),
            text,
            Outcome.NO_LICENSE_REQUIRED if exemption else Outcome.LICENSE_EXCEPTION,
        )
    else:
        action = Guard((draw(st.sampled_from(["E1", "*"])),), text)
    effective = draw(st.sampled_from([None, None, dt.date(2026, 1, 1)]))
    return Rule(f"rule-{index}", f"rule {index}", "test", tuple(patterns), action, _HERE, effective)


@st.composite
def rulesets(draw: st.DrawFn, max_rules: int = 8) -> Ruleset:
    """A random, well-typed ruleset: 1 to `max_rules` rules over the built-in fact types, the
    derived type `flag` and the table `lookup`. Every comparison is type-homogeneous."""
    count = draw(st.integers(min_value=1, max_value=max_rules))
    rules = tuple(draw(_rule(index)) for index in range(count))
    table = Table("lookup", _TABLE_TYPE, _TABLE_ROWS, (), "<generated>")
    ruleset = Ruleset(
        id="generated",
        title="generated",
        jurisdiction="test",
        edition=dt.date(2026, 1, 1),
        source="hypothesis",
        schema=1,
        path="<generated>",
        digest="",
        fact_types=tuple(
            sorted((*BUILTIN_FACT_TYPES.values(), _DERIVED, _TABLE_TYPE), key=lambda t: t.name)
        ),
        tables=(table,),
        rules=rules,
    )
    from attrs import evolve

    return evolve(ruleset, digest=ruleset_digest(ruleset))
