"""The case: one export transaction, as the JSON contract (v1) describes it.

`parse_case` turns JSON text or a mapping into a frozen `Case`, or raises `CaseError` listing
every problem with its JSON path. Values are checked against the closed vocabularies of
`dualcontrol.vocab`; strings are NFC-normalised; money stays a `Decimal` here and becomes integer
minor units only when facts are built. `case_schema` derives a JSON Schema from the model.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NewType, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from .errors import CaseError, Problem, suggest
from .vocab import (
    COUNTRIES,
    CURRENCIES,
    ECCN_PATTERN,
    EU_CONTROL_PATTERN,
    PARTY_KINDS,
    PARTY_ROLES,
    PURPOSES,
    RED_FLAGS,
    REGIONS,
    SCREENING_BASES,
    SCREENING_LISTS,
)

__all__ = [
    "MAX_STRING_BYTES",
    "Case",
    "EndUse",
    "Exporter",
    "Item",
    "Party",
    "ScreeningHit",
    "case_to_dict",
    "parse_case",
]

MAX_STRING_BYTES = 65_535
"""Longest string the engine compares correctly, in bytes of its JSON encoding: durable-rules
compares strings of 65,536 bytes or more equal when they differ only at the end."""

MAX_QUANTITY = Decimal("1e12")
MAX_UNIT_VALUE = Decimal("1e12")
MAX_LINE_VALUE = Decimal("1e14")
"""Keeps every amount in minor units within the engine's 64-bit integers."""

Country = NewType("Country", str)
Eccn = NewType("Eccn", str)
EuControl = NewType("EuControl", str)
Currency = NewType("Currency", str)
Role = NewType("Role", str)
PartyKind = NewType("PartyKind", str)
Purpose = NewType("Purpose", str)
RedFlagCode = NewType("RedFlagCode", str)
Region = NewType("Region", str)
ScreeningList = NewType("ScreeningList", str)
ScreeningBasis = NewType("ScreeningBasis", str)
Score = NewType("Score", Decimal)
"""A match score between 0 and 1."""
Share = NewType("Share", Decimal)
"""An ownership share in percent, between 0 and 100."""
Text = NewType("Text", str)
"""A non-empty string."""
Quantity = NewType("Quantity", Decimal)
"""A number of units: greater than 0."""
Amount = NewType("Amount", Decimal)
"""A money amount: 0 or more."""


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


@attrs.frozen
class Exporter:
    """Who exports: its name and the country it exports from."""

    name: Text = attrs.field(metadata=_describe("exporter's legal name"))
    country: Country = attrs.field(metadata=_describe("country the export leaves from"))


@attrs.frozen
class Item:
    """One order line: what is exported, how much, at what value."""

    id: Text = attrs.field(metadata=_describe("line id, unique within the case"))
    quantity: Quantity = attrs.field(metadata=_describe("number of units, greater than 0"))
    unit_value: Amount = attrs.field(metadata=_describe("value of one unit, in `currency`"))
    currency: Currency = attrs.field(metadata=_describe("ISO 4217 currency code"))
    description: str = attrs.field(default="", metadata=_describe("free-text description"))
    eccn: Eccn | None = attrs.field(
        default=None,
        metadata=_describe("Commerce Control List number, to a sub-paragraph if known, or EAR99"),
    )
    eu_control: EuControl | None = attrs.field(
        default=None, metadata=_describe("Annex I entry of Regulation (EU) 2021/821")
    )
    medical_device: bool = attrs.field(
        default=False, metadata=_describe("the item is a medical device")
    )


@attrs.frozen
class Party:
    """A party to the transaction: end user, consignee, intermediate consignee or purchaser."""

    role: Role = attrs.field(metadata=_describe("role in the transaction"))
    name: Text = attrs.field(metadata=_describe("legal name"))
    country: Country = attrs.field(metadata=_describe("country of the party's address"))
    address: str | None = attrs.field(default=None, metadata=_describe("street address"))
    kind: PartyKind = attrs.field(
        default=PartyKind("unknown"), metadata=_describe("what kind of organisation it is")
    )


@attrs.frozen
class EndUse:
    """What the items are for, as declared by the customer."""

    purposes: tuple[Purpose, ...] = attrs.field(
        default=(), metadata=_describe("declared purposes; empty means not declared")
    )
    statement_provided: bool = attrs.field(
        default=False, metadata=_describe("a signed end-use statement was provided")
    )
    text: str | None = attrs.field(default=None, metadata=_describe("the statement's text"))


@attrs.frozen
class ScreeningHit:
    """A party's match against a restricted-party list, found by the caller's screening (or by
    dualcontrol's own screening when a list store is configured)."""

    party: int = attrs.field(metadata=_describe("index of the party in `parties`"))
    list: ScreeningList = attrs.field(metadata=_describe("the list the entry is on"))
    entry_id: Text = attrs.field(metadata=_describe("the entry's id on that list"))
    name: Text = attrs.field(metadata=_describe("the listed name (or alias) that matched"))
    score: Score = attrs.field(
        default=Score(Decimal(1)), metadata=_describe("match score, 0 to 1 (1: exact)")
    )
    match: bool = attrs.field(
        default=True, metadata=_describe("the score passes the screening threshold")
    )
    basis: ScreeningBasis = attrs.field(
        default=ScreeningBasis("listed"),
        metadata=_describe("`listed`: the party itself; `affiliate`: owned by listed parties"),
    )
    share: Share | None = attrs.field(
        default=None, metadata=_describe("for an affiliate: the listed owners' share, percent")
    )
    license_requirement: str | None = attrs.field(
        default=None, metadata=_describe("the entry's license requirement, as the list states it")
    )
    license_policy: str | None = attrs.field(
        default=None, metadata=_describe("the entry's license review policy, as listed")
    )
    source: str = attrs.field(
        default="case", metadata=_describe("where the hit comes from (`case`, or a list snapshot)")
    )


@attrs.frozen
class Case:
    """One export transaction: the unit of decision."""

    id: Text = attrs.field(metadata=_describe("transaction reference, e.g. a sales order"))
    date: dt.date = attrs.field(metadata=_describe("date of the transaction (ISO 8601)"))
    exporter: Exporter = attrs.field(metadata=_describe("who exports"))
    destination: Country = attrs.field(metadata=_describe("country of ultimate destination"))
    items: tuple[Item, ...] = attrs.field(metadata=_describe("order lines, at least one"))
    transit: tuple[Country, ...] = attrs.field(
        default=(), metadata=_describe("countries the shipment passes through")
    )
    parties: tuple[Party, ...] = attrs.field(default=(), metadata=_describe("parties"))
    end_use: EndUse = attrs.field(factory=EndUse, metadata=_describe("declared end use"))
    red_flags: tuple[RedFlagCode, ...] = attrs.field(
        default=(), metadata=_describe("Know Your Customer red flags observed")
    )
    destination_region: Region | None = attrs.field(
        default=None,
        metadata=_describe("a region of the destination some controls single out (`crimea`)"),
    )
    screening: tuple[ScreeningHit, ...] = attrs.field(
        default=(), metadata=_describe("restricted-party list hits on the parties")
    )


class _InvalidValueError(ValueError):
    """A value rejected by a structuring hook; its message is shown as is."""


def _string(value: object) -> str:
    if not isinstance(value, str):
        msg = f"expected a string, got {_json_type(value)}"
        raise _InvalidValueError(msg)
    text = unicodedata.normalize("NFC", value)
    encoded = len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2
    if encoded > MAX_STRING_BYTES:
        msg = f"string of {encoded} bytes is longer than the {MAX_STRING_BYTES} the engine supports"
        raise _InvalidValueError(msg)
    return text


def _text(value: object, _: object) -> Text:
    text = _string(value).strip()
    if not text:
        msg = "must not be empty"
        raise _InvalidValueError(msg)
    return Text(text)


def _choice(
    kind: str, choices: Mapping[str, object] | tuple[str, ...]
) -> Callable[[object, object], str]:
    names = list(choices)

    def hook(value: object, _: object) -> str:
        text = _string(value)
        if text not in choices:
            upper = text.upper()
            hint = f": did you mean `{upper}`?" if upper in choices else suggest(text, names)
            msg = f"unknown {kind} `{text}`{hint}"
            raise _InvalidValueError(msg)
        return text

    return hook


def _classification(kind: str, pattern: Any) -> Callable[[object, object], str]:
    def hook(value: object, _: object) -> str:
        text = _string(value).strip()
        if pattern.fullmatch(text):
            return text
        fixed = _canonical_classification(text)
        hint = f": did you mean `{fixed}`?" if fixed and pattern.fullmatch(fixed) else ""
        msg = f"`{text}` is not a valid {kind}{hint}"
        raise _InvalidValueError(msg)

    return hook


def _canonical_classification(text: str) -> str | None:
    head, _, tail = text.replace(" ", "").partition(".")
    if len(head) != 5:
        return None
    if head.upper() == "EAR99":
        return "EAR99"
    fixed = head.upper()
    return f"{fixed}.{tail.lower()}" if tail else fixed


def _bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        msg = f"expected true or false, got {_json_type(value)}"
        raise _InvalidValueError(msg)
    return value


def _decimal(value: object, _: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        msg = f"expected a number, got {_json_type(value)}"
        raise _InvalidValueError(msg)
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as error:
        raise _InvalidValueError(str(error)) from None
    if not number.is_finite():
        msg = "expected a finite number"
        raise _InvalidValueError(msg)
    return number


def _integer(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"expected an integer, got {_json_type(value)}"
        raise _InvalidValueError(msg)
    return value


def _date(value: object, _: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = _string(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"`{text}` is not a date in the form YYYY-MM-DD"
        raise _InvalidValueError(msg) from None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _tuple_hook(converter: cattrs.Converter) -> Callable[[object, Any], tuple[Any, ...]]:
    def hook(value: object, type_: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            msg = f"expected an array, got {_json_type(value)}"
            raise _InvalidValueError(msg)
        (element,) = get_args(type_)[:1]
        errors: list[Exception] = []
        out: list[Any] = []
        for index, member in enumerate(value):
            try:
                out.append(converter.structure(member, element))
            except Exception as error:
                error.__notes__ = [*getattr(error, "__notes__", []), f"@index {index}"]
                errors.append(_IndexedError(index, error))
        if errors:
            raise IterableValidationError("invalid items", errors, type_)
        return tuple(out)

    return hook


class _IndexedError(Exception):
    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def is_tuple(type_: Any) -> bool:
    """Whether `type_` is a `tuple[X, ...]`."""
    origin: Any = get_origin(type_)
    return origin is tuple


@functools.cache
def _case_converter() -> cattrs.Converter:
    """The converter that validates cases: built once, on first use, then only read."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(Text, _text)
    converter.register_structure_hook(str, lambda v, _: _string(v))
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_structure_hook(
        Quantity, _bounded(Decimal(0), MAX_QUANTITY, low_inclusive=False)
    )
    converter.register_structure_hook(
        Amount, _bounded(Decimal(0), MAX_UNIT_VALUE, low_inclusive=True)
    )
    converter.register_structure_hook(dt.date, _date)
    converter.register_structure_hook(Country, _choice("country code", COUNTRIES))
    converter.register_structure_hook(Currency, _choice("currency", CURRENCIES))
    converter.register_structure_hook(Role, _choice("party role", PARTY_ROLES))
    converter.register_structure_hook(PartyKind, _choice("party kind", PARTY_KINDS))
    converter.register_structure_hook(Purpose, _choice("purpose", PURPOSES))
    converter.register_structure_hook(RedFlagCode, _choice("red flag", RED_FLAGS))
    converter.register_structure_hook(Region, _choice("region", REGIONS))
    converter.register_structure_hook(ScreeningList, _choice("screening list", SCREENING_LISTS))
    converter.register_structure_hook(ScreeningBasis, _choice("screening basis", SCREENING_BASES))
    converter.register_structure_hook(Score, _bounded(Decimal(0), Decimal(1), low_inclusive=True))
    converter.register_structure_hook(Share, _bounded(Decimal(0), Decimal(100), low_inclusive=True))
    converter.register_structure_hook(int, _integer)
    converter.register_structure_hook(Eccn, _classification("ECCN", ECCN_PATTERN))
    converter.register_structure_hook(
        EuControl, _classification("Annex I entry", EU_CONTROL_PATTERN)
    )
    converter.register_structure_hook_func(is_tuple, _tuple_hook(converter))
    converter.get_structure_hook(Case)
    return converter


def _problems(error: BaseException, path: str, fields: tuple[str, ...]) -> list[Problem]:
    """Flatten a cattrs error tree into problems, each with its JSON path."""
    if isinstance(error, ClassValidationError):
        found: list[Problem] = []
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            found += _problems(sub, f"{path}.{note.name}", _field_names(note.type))
        for sub in without:
            found += _problems(sub, path, fields)
        return found
    if isinstance(error, IterableValidationError):
        found = []
        for sub in error.exceptions:
            if isinstance(sub, _IndexedError):
                found += _problems(sub.error, f"{path}[{sub.index}]", fields)
            else:
                found += _problems(sub, path, fields)
        return found
    if isinstance(error, ForbiddenExtraKeysError):
        return [
            Problem(f"unknown field `{key}`{suggest(key, list(fields))}", path=f"{path}.{key}")
            for key in sorted(error.extra_fields)
        ]
    if isinstance(error, KeyError):
        return [Problem("required field is missing", path=path)]
    if isinstance(error, _InvalidValueError):
        return [Problem(str(error), path=path)]
    if isinstance(error, TypeError | ValueError | AttributeError):
        kind = "an object" if fields else "a value of another type"
        return [Problem(f"expected {kind}", path=path)]
    raise error


def _field_names(type_: Any) -> tuple[str, ...]:
    if isinstance(type_, type) and attrs.has(type_):
        return tuple(f.name for f in attrs.fields(type_))
    return ()


def _cross_field_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Checks that span fields, made on the raw data so they add to the per-field problems."""
    found = _screening_problems(raw)
    items = raw.get("items")
    if not isinstance(items, list | tuple):
        return found
    if not items:
        found.append(Problem("a case needs at least one item", path="$.items"))
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        where = f"$.items[{index}]"
        line = item.get("id")
        if isinstance(line, str) and line.strip():
            key = unicodedata.normalize("NFC", line).strip()
            if key in seen:
                message = f"duplicate item id `{key}` (also at index {seen[key]})"
                found.append(Problem(message, f"{where}.id"))
            seen.setdefault(key, index)
        quantity, value = item.get("quantity"), item.get("unit_value")
        if _is_number(quantity) and _is_number(value):
            total = Decimal(str(quantity)) * Decimal(str(value))
            if total > MAX_LINE_VALUE:
                message = f"line value (quantity x unit_value) exceeds {int(MAX_LINE_VALUE):,}"
                found.append(Problem(message, f"{where}.unit_value"))
    return found


def _screening_problems(raw: Mapping[str, Any]) -> list[Problem]:
    hits, parties = raw.get("screening"), raw.get("parties", [])
    if not isinstance(hits, list | tuple) or not isinstance(parties, list | tuple):
        return []
    found = []
    for index, hit in enumerate(hits):
        if not isinstance(hit, Mapping):
            continue
        party = hit.get("party")
        if isinstance(party, int) and not isinstance(party, bool) and not 0 <= party < len(parties):
            message = f"no party with index {party} (the case has {len(parties)})"
            found.append(Problem(message, f"$.screening[{index}].party"))
        if hit.get("basis") == "affiliate" and hit.get("share") is None:
            found.append(Problem("an affiliate hit needs its `share`", f"$.screening[{index}]"))
    return found


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _bounded(
    low: Decimal, high: Decimal, *, low_inclusive: bool
) -> Callable[[object, object], Decimal]:
    above = "at least" if low_inclusive else "greater than"

    def hook(value: object, type_: object) -> Decimal:
        number = _decimal(value, type_)
        if not ((number >= low) if low_inclusive else (number > low)) or number > high:
            msg = f"must be {above} {low} and at most {int(high):,}"
            raise _InvalidValueError(msg)
        return number

    return hook


def _reject_constant(name: str) -> object:
    msg = f"`{name}` is not a JSON number"
    raise CaseError([Problem(msg, path="$")])


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise CaseError([Problem(f"duplicate key `{key}` in a JSON object", path="$")])
        out[key] = value
    return out


def load_json(text: str | bytes) -> object:
    """Parse JSON text exactly: decimals stay `Decimal`, NaN and duplicate keys are refused."""
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        problem = Problem(f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno)
        raise CaseError([problem]) from None


def parse_case(data: str | bytes | Mapping[str, Any]) -> Case:
    """Validate one case (JSON text or an already parsed mapping) into a `Case`.

    Raises `CaseError` carrying every problem found, each with its JSON path.
    """
    raw = load_json(data) if isinstance(data, str | bytes) else data
    if not isinstance(raw, Mapping):
        raise CaseError([Problem(f"expected an object, got {_json_type(raw)}", path="$")])
    converter = _case_converter()
    problems = _cross_field_problems(raw)
    try:
        case = converter.structure(dict(raw), Case)
    except (ClassValidationError, IterableValidationError) as error:
        problems += _problems(error, "$", _field_names(Case))
    if problems:
        raise CaseError(sorted(set(problems), key=_problem_order))
    return case


def _problem_order(problem: Problem) -> tuple[str, str]:
    return (problem.path or "", problem.message)


def case_to_dict(case: Case) -> dict[str, Any]:
    """The case as JSON-ready data (decimals as numbers, dates as ISO strings)."""
    data: dict[str, Any] = _dict_converter().unstructure(case)
    return data


@functools.cache
def _dict_converter() -> cattrs.Converter:
    """The converter that writes cases out as JSON-ready data."""
    converter = cattrs.Converter()
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_unstructure_hook(
        Decimal, lambda d: int(d) if d == d.to_integral() else float(d)
    )
    converter.register_unstructure_hook_func(
        is_tuple, lambda v: [converter.unstructure(x) for x in v]
    )
    return converter
