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
    "engine_string",
    "from_date_value",
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
                items=INT,
                parties=INT,
                end_users=INT,
                purposes=INT,
                red_flags=INT,
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
        )
    }
)
"""The fact types every ruleset can match, built from the case."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def engine_string(text: str) -> str:
    """A string as facts hold it: control characters (newlines, tabs) become spaces."""
    return _CONTROL.sub(" ", text)


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


def _fact(key: str, type_: str, **values: Literal | None) -> Fact:
    fields = tuple(sorted((k, v) for k, v in values.items() if v is not None))
    return Fact(key, type_, fields)


def _opt(text: str | None) -> str | None:
    return None if text is None else engine_string(text)


def classification_refs(code: str) -> tuple[str, ...]:
    """Every level of a classification, entry first: `3A001.b.2` -> `3A001`, `3A001.b`,
    `3A001.b.2`."""
    parts = code.split(".")
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))


def case_facts(case: Case, as_of: dt.date) -> tuple[Fact, ...]:
    """The input facts of `case`, evaluated as of `as_of`, in canonical (key) order."""
    facts: list[Fact] = []
    end_users = sum(1 for p in case.parties if p.role == "end_user")
    facts.append(
        _fact(
            "case",
            "case",
            reference=engine_string(case.id),
            date=date_value(case.date),
            as_of=date_value(as_of),
            exporter_name=engine_string(case.exporter.name),
            exporter_country=case.exporter.country,
            destination=case.destination,
            items=len(case.items),
            parties=len(case.parties),
            end_users=end_users,
            purposes=len(set(case.end_use.purposes)),
            red_flags=len(set(case.red_flags)),
            transits=len(set(case.transit)),
            end_use_statement=case.end_use.statement_provided,
            end_use_text=_opt(case.end_use.text),
        )
    )
    for item in case.items:
        eccn = item.eccn
        ear99 = eccn == "EAR99"
        entry = eccn.split(".")[0] if eccn else None
        value = minor_units(item.quantity * item.unit_value, item.currency)
        facts.append(
            _fact(
                f"item:{item.id}",
                "item",
                line=engine_string(item.id),
                description=engine_string(item.description),
                classified=eccn is not None,
                eccn=eccn,
                eccn_entry=entry,
                eccn_category=None if entry is None or ear99 else entry[0],
                eccn_group=None if entry is None or ear99 else entry[1],
                ear99=ear99,
                eu_control=item.eu_control,
                eu_entry=item.eu_control.split(".")[0] if item.eu_control else None,
                quantity=float(item.quantity),
                unit_value=minor_units(item.unit_value, item.currency),
                value=value,
                currency=item.currency,
                medical_device=item.medical_device,
            )
        )
        for regime, code in (("ccl", eccn), ("eu", item.eu_control)):
            if code is None:
                continue
            refs = classification_refs(code)
            for depth, ref in enumerate(refs):
                facts.append(
                    _fact(
                        f"class:{item.id}:{regime}:{ref}",
                        "classification",
                        line=engine_string(item.id),
                        regime=regime,
                        ref=ref,
                        entry=refs[0],
                        depth=depth,
                        exact=depth == len(refs) - 1,
                    )
                )
    for index, party in enumerate(case.parties):
        facts.append(
            _fact(
                f"party:{index}",
                "party",
                index=index,
                role=party.role,
                name=engine_string(party.name),
                country=party.country,
                kind=party.kind,
                address=_opt(party.address),
            )
        )
    for purpose in sorted(set(case.end_use.purposes)):
        facts.append(_fact(f"purpose:{purpose}", "purpose", code=purpose))
    for flag in sorted(set(case.red_flags)):
        facts.append(
            _fact(f"red_flag:{flag}", "red_flag", code=flag, number=RED_FLAGS[flag].number)
        )
    for country in sorted(set(case.transit)):
        facts.append(_fact(f"transit:{country}", "transit", country=country))
    return tuple(sorted(facts, key=lambda f: f.key))


def _number(value: float) -> str:
    """A float in plain decimal notation with a dot: never `1e-05`, which durable-rules
    cannot parse."""
    if not math.isfinite(value):
        msg = f"cannot serialise non-finite number {value!r}"
        raise ValueError(msg)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _dump(value: object, out: list[str]) -> None:
    if isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, member) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _dump(member, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, member in enumerate(value):
            if index:
                out.append(",")
            _dump(member, out)
        out.append("]")
    elif value is None:
        out.append("null")
    else:
        msg = f"cannot serialise {type(value).__name__}"
        raise TypeError(msg)


def dump_json(value: object) -> str:
    """Canonical JSON for the engine: raw UTF-8 (no `\\u` escapes), floats in plain decimal
    notation, keys in the order given. The same writer serves rules and facts, so strings are
    compared in one encoding."""
    out: list[str] = []
    _dump(value, out)
    return "".join(out)


def derived_key(fact_type: str, fields: Iterable[tuple[str, Literal]]) -> str:
    """The key of a derived fact: its type and a digest of its content, so the same content
    derived twice (or by two engines) is one fact."""
    content = dump_json([fact_type, sorted(fields)])
    return f"{fact_type}#{hashlib.sha256(content.encode()).hexdigest()[:12]}"
