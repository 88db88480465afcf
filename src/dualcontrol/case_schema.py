"""The JSON Schema of the case contract, derived from the attrs model of `dualcontrol.case`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, get_args

import attrs

from .case import (
    MAX_QUANTITY,
    MAX_UNIT_VALUE,
    Amount,
    Case,
    Country,
    Currency,
    Eccn,
    EuControl,
    PartyKind,
    Purpose,
    Quantity,
    RedFlagCode,
    Region,
    Role,
    Score,
    ScreeningBasis,
    ScreeningList,
    Share,
    Text,
    is_tuple,
)
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

__all__ = ["case_schema"]

_SCHEMA_FRAGMENTS: Mapping[Any, Mapping[str, Any]] = {
    Country: {"type": "string", "enum": sorted(COUNTRIES)},
    Eccn: {"type": "string", "pattern": f"^(?:{ECCN_PATTERN.pattern})$"},
    EuControl: {"type": "string", "pattern": f"^(?:{EU_CONTROL_PATTERN.pattern})$"},
    Currency: {"type": "string", "enum": sorted(CURRENCIES)},
    Role: {"type": "string", "enum": list(PARTY_ROLES)},
    PartyKind: {"type": "string", "enum": list(PARTY_KINDS)},
    Purpose: {"type": "string", "enum": list(PURPOSES)},
    RedFlagCode: {"type": "string", "enum": list(RED_FLAGS)},
    Region: {"type": "string", "enum": list(REGIONS)},
    ScreeningList: {"type": "string", "enum": list(SCREENING_LISTS)},
    ScreeningBasis: {"type": "string", "enum": list(SCREENING_BASES)},
    Score: {"type": "number", "minimum": 0, "maximum": 1},
    Share: {"type": "number", "minimum": 0, "maximum": 100},
    Text: {"type": "string", "minLength": 1},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    Decimal: {"type": "number"},
    Quantity: {"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_QUANTITY)},
    Amount: {"type": "number", "minimum": 0, "maximum": int(MAX_UNIT_VALUE)},
    dt.date: {"type": "string", "format": "date"},
}


def case_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the case contract, derived from the attrs model."""
    schema = _schema_of(Case)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dualcontrol.dev/schema/case/v1",
        "title": "dualcontrol case (v1)",
        **schema,
    }


def _schema_of(type_: Any) -> dict[str, Any]:
    if type_ in _SCHEMA_FRAGMENTS:
        return dict(_SCHEMA_FRAGMENTS[type_])
    if is_tuple(type_):
        return {"type": "array", "items": _schema_of(get_args(type_)[0])}
    args = get_args(type_)
    if args and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return {"anyOf": [_schema_of(inner), {"type": "null"}]}
    if attrs.has(type_):
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in attrs.fields(attrs.resolve_types(type_)):
            prop = _schema_of(field.type)
            if "description" in field.metadata:
                prop["description"] = field.metadata["description"]
            properties[field.name] = prop
            if field.default is attrs.NOTHING:
                required.append(field.name)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if type_.__doc__:
            out["description"] = type_.__doc__.strip().splitlines()[0]
        out["required"] = required
        out["additionalProperties"] = False
        return out
    msg = f"no schema for type {type_!r}"
    raise TypeError(msg)
