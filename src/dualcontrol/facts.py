"""Facts: what the engine matches, built from a case, from tables and by rules.

A `Fact` is a typed record with a stable key (`item:10`, `party:0`, `risk#3fa1c2d4e5b6`).
`case_facts` turns a `Case` into the input facts every ruleset sees; the built-in fact types
below are their schema, which the checker uses to type every condition. Values are already in
engine form: dates are `yyyymmdd` integers, money integer minor units, strings NFC-normalised
with control characters replaced by spaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

import attrs

from .case import Case
from .tree import FactType, FieldType, Literal
from .vocab import CURRENCIES, RED_FLAGS

__all__ = [
    "BUILTIN_FACT_TYPES",
    "Fact",
    "case_facts",
    "classification_refs",
    "date_value",
    "derived_key",
    "dump_json",
    "encode",
    "engine_string",
    "engine_value",
    "from_date_value",
    "lookup_key",
    "minor_units",
]


S, INT, N, B, D, M = (
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.NUMBER,
    FieldType.BOOLEAN,
    FieldType.DATE,
    FieldType.MONEY,
)


def _builtin(name: str, doc: str, /, **fields: FieldType) -> FactType:
    return FactType(name, tuple(fields.items()), "input", doc)


BUILTIN_FACT_TYPES: Mapping[str, FactType] = MappingProxyType(
    {
        t.name: t
        for t in (
            _builtin(
                "case",
                "the transaction as a whole (one per case)",
                reference=S,
                date=D,
                as_of=D,
                exporter_name=S,
                exporter_country=S,
                destination=S,
                destination_region=S,
                items=INT,
                parties=INT,
                end_users=INT,
                purposes=INT,
                red_flags=INT,
                screening_hits=INT,
                transits=INT,
                end_use_statement=B,
                end_use_text=S,
            ),
            _builtin(
                "item",
                "one order line",
                line=S,
                description=S,
                classified=B,
                eccn=S,
                eccn_entry=S,
                eccn_category=S,
                eccn_group=S,
                ear99=B,
                eu_control=S,
                eu_entry=S,
                quantity=N,
                unit_value=M,
                value=M,
                currency=S,
                medical_device=B,
            ),
            _builtin(
                "classification",
                "one level of an item's classification: the entry and each sub-paragraph",
                line=S,
                regime=S,
                ref=S,
                entry=S,
                depth=INT,
                exact=B,
            ),
            _builtin(
                "party",
                "one party to the transaction",
                index=INT,
                role=S,
                name=S,
                country=S,
                kind=S,
                address=S,
            ),
            _builtin("purpose", "one declared end-use purpose", code=S),
            _builtin("red_flag", "one Know Your Customer red flag", code=S, number=INT),
            _builtin("transit", "one country of transit", country=S),
            _builtin(
                "screening_hit",
                "a party's match against a restricted-party list",
                party=INT,
                list=S,
                entry_id=S,
                listed_name=S,
                score=INT,
                match=B,
                basis=S,
                share=N,
                license_requirement=S,
                requirement_key=S,
                license_policy=S,
                source=S,
            ),
            _builtin(
                "missing",
                "a value the case looked up in a table's selected column and no row has",
                table=S,
                column=S,
                value=S,
            ),
        )
    }
)
"""The fact types every ruleset can match, built from the case."""

_CONTROL = {code: " " for code in (*range(0x20), 0x7F)}


def engine_string(text: str) -> str:
    """A string as facts hold it: control characters (newlines, tabs) become spaces."""
    return text if text.isprintable() else text.translate(_CONTROL)


def lookup_key(text: str | None) -> str | None:
    """`text` as a table key: lowercase, whitespace collapsed, no trailing full stop. The same
    listed wording is published with small variations (`For all items subject to the EAR.`,
    `For all items subject to the EAR`); rules look it up by this key."""
    if text is None:
        return None
    return " ".join(engine_string(text).split()).rstrip(" .").lower()


def date_value(day: dt.date) -> int:
    """A date as the engine compares it: the integer `yyyymmdd`."""
    return day.year * 10_000 + day.month * 100 + day.day


def from_date_value(value: int) -> dt.date:
    """The date an engine `yyyymmdd` integer stands for."""
    return dt.date(value // 10_000, value // 100 % 100, value % 100)


def minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in integer minor units of `currency` (cents for USD), rounded half to even."""
    exponent = CURRENCIES[currency]
    return int((amount * (Decimal(10) ** exponent)).to_integral_value(rounding=ROUND_HALF_EVEN))


@attrs.frozen
class Fact:
    """A typed record the engine matches, with fields sorted by name.

    A fact concerns the item line named by its `line` field; a fact without one concerns the
    whole case.
    """

    key: str
    type: str
    fields: tuple[tuple[str, Literal], ...]

    @property
    def line(self) -> str | None:
        """The item line this fact concerns, if any."""
        value = self.get("line")
        return value if isinstance(value, str) else None

    def get(self, name: str) -> Literal | None:
        """The value of field `name`, or `None` when the fact does not have it."""
        for field, value in self.fields:
            if field == name:
                return value
        return None

    def as_dict(self) -> dict[str, Literal]:
        """Field name -> value."""
        return dict(self.fields)


def _fact(key: str, type_: str, pairs: tuple[tuple[str, Literal | None], ...]) -> Fact:
    """A fact from (field, value) pairs given in field-name order; `None` values are left
    out."""
    return Fact(key, type_, tuple(p for p in pairs if p[1] is not None))  # type: ignore[misc]


def _opt(text: str | None) -> str | None:
    return None if text is None else engine_string(text)


def classification_refs(code: str) -> tuple[str, ...]:
    """Every level of a classification, entry first: `3A001.b.2` -> `3A001`, `3A001.b`,
    `3A001.b.2`."""
    parts = code.split(".")
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))


def case_facts(case: Case, as_of: dt.date) -> tuple[Fact, ...]:
    """The input facts of `case`, evaluated as of `as_of`, in canonical (key) order.

    Fields are listed in name order (the order `Fact` keeps them in).
    """
    end_use = case.end_use
    facts: list[Fact] = [
        _fact(
            "case",
            "case",
            (
                ("as_of", date_value(as_of)),
                ("date", date_value(case.date)),
                ("destination", case.destination),
                ("destination_region", case.destination_region),
                ("end_use_statement", end_use.statement_provided),
                ("end_use_text", _opt(end_use.text)),
                ("end_users", sum(1 for p in case.parties if p.role == "end_user")),
                ("exporter_country", case.exporter.country),
                ("exporter_name", engine_string(case.exporter.name)),
                ("items", len(case.items)),
                ("parties", len(case.parties)),
                ("purposes", len(set(end_use.purposes))),
                ("red_flags", len(set(case.red_flags))),
                ("reference", engine_string(case.id)),
                ("screening_hits", len(case.screening)),
                ("transits", len(set(case.transit))),
            ),
        )
    ]
    for item in case.items:
        line = engine_string(item.id)
        eccn = item.eccn
        ear99 = eccn == "EAR99"
        entry = eccn.partition(".")[0] if eccn else None
        listed = entry if entry is not None and not ear99 else None
        eu_control = item.eu_control
        facts.append(
            _fact(
                f"item:{item.id}",
                "item",
                (
                    ("classified", eccn is not None),
                    ("currency", item.currency),
                    ("description", engine_string(item.description)),
                    ("ear99", ear99),
                    ("eccn", eccn),
                    ("eccn_category", listed[0] if listed else None),
                    ("eccn_entry", entry),
                    ("eccn_group", listed[1] if listed else None),
                    ("eu_control", eu_control),
                    ("eu_entry", eu_control.partition(".")[0] if eu_control else None),
                    ("line", line),
                    ("medical_device", item.medical_device),
                    ("quantity", float(item.quantity)),
                    ("unit_value", minor_units(item.unit_value, item.currency)),
                    ("value", minor_units(item.quantity * item.unit_value, item.currency)),
                ),
            )
        )
        for regime, code in (("ccl", eccn), ("eu", eu_control)):
            if code is None:
                continue
            refs = classification_refs(code)
            last = len(refs) - 1
            for depth, ref in enumerate(refs):
                facts.append(
                    _fact(
                        f"class:{item.id}:{regime}:{ref}",
                        "classification",
                        (
                            ("depth", depth),
                            ("entry", refs[0]),
                            ("exact", depth == last),
                            ("line", line),
                            ("ref", ref),
                            ("regime", regime),
                        ),
                    )
                )
    for index, party in enumerate(case.parties):
        facts.append(
            _fact(
                f"party:{index}",
                "party",
                (
                    ("address", _opt(party.address)),
                    ("country", party.country),
                    ("index", index),
                    ("kind", party.kind),
                    ("name", engine_string(party.name)),
                    ("role", party.role),
                ),
            )
        )
    for purpose in sorted(set(end_use.purposes)):
        facts.append(Fact(f"purpose:{purpose}", "purpose", (("code", purpose),)))
    for flag in sorted(set(case.red_flags)):
        number = RED_FLAGS[flag].number
        facts.append(Fact(f"red_flag:{flag}", "red_flag", (("code", flag), ("number", number))))
    for country in sorted(set(case.transit)):
        facts.append(Fact(f"transit:{country}", "transit", (("country", country),)))
    for number, hit in enumerate(case.screening):
        facts.append(
            _fact(
                f"hit:{hit.party}:{hit.list}:{hit.entry_id}:{number}",
                "screening_hit",
                (
                    ("basis", hit.basis),
                    ("entry_id", engine_string(hit.entry_id)),
                    ("license_policy", _opt(hit.license_policy)),
                    ("license_requirement", _opt(hit.license_requirement)),
                    ("list", hit.list),
                    ("listed_name", engine_string(hit.name)),
                    ("match", hit.match),
                    ("party", hit.party),
                    ("requirement_key", lookup_key(hit.license_requirement)),
                    ("score", int((hit.score * 100).to_integral_value(ROUND_HALF_EVEN))),
                    ("share", None if hit.share is None else float(hit.share)),
                    ("source", engine_string(hit.source)),
                ),
            )
        )
    facts.sort(key=lambda f: f.key)
    return tuple(facts)


def _number(value: float) -> str:
    """A float in plain decimal notation with a dot: never `1e-05`, which durable-rules
    cannot parse."""
    if not math.isfinite(value):
        msg = f"cannot serialise non-finite number {value!r}"
        raise ValueError(msg)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


_MARK = "\x01"
_MARKED = re.compile(r'"\\u0001(-?[0-9]+\.[0-9]+)\\u0001"')


def engine_value(value: object) -> object:
    """`value` ready for `encode`: a float becomes a marked string that `encode` turns back
    into a number in plain decimal notation (no string in a fact holds a control character,
    so the mark cannot occur otherwise)."""
    if type(value) is float:
        return f"{_MARK}{_number(value)}{_MARK}"
    return value


def _prepare(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return engine_value(value)
    msg = f"cannot serialise {type(value).__name__}"
    raise TypeError(msg)


def encode(value: object) -> str:
    """JSON text of `value` whose floats went through `engine_value`."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _MARKED.sub(r"\1", text) if "\\u0001" in text else text


def dump_json(value: object) -> str:
    """Canonical JSON for the engine: raw UTF-8 (no `\\u` escapes), floats in plain decimal
    notation, keys in the order given. The same writer serves rules and facts, so strings are
    compared in one encoding."""
    return encode(_prepare(value))


def derived_key(fact_type: str, fields: Iterable[tuple[str, Literal]]) -> str:
    """The key of a derived fact: its type and a digest of its content, so the same content
    derived twice (or by two engines) is one fact."""
    content = dump_json([fact_type, sorted(fields)])
    return f"{fact_type}#{hashlib.sha256(content.encode()).hexdigest()[:12]}"
