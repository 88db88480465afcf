"""The US Consolidated Screening List (trade.gov) as CSV, TSV or JSON.

CSV/TSV: a header row with the documented columns (`source`, `entity_number`, `type`, `programs`,
`name`, ..., `alt_names`, ..., `ids`); multi-valued cells are split by `;`. JSON: an object with a
`results` array (the API and the bulk download), or the array itself; multi-valued fields are
arrays, addresses and ids objects. Unknown columns and fields are ignored, so newer files import.

`entity_number` is not unique across sources, so ids are `<list code>-<entity_number>`; rows
without a number (Entity List, Denied Persons) get a hash of name and start date, and rows that
repeat a party once per address are merged.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from dualcontrol.screening.countries import country_code
from dualcontrol.screening.importers._common import (
    Problems,
    clean,
    countries_of,
    delimited_rows,
    loose_date,
    merge_duplicates,
    stable_id,
    unique,
)
from dualcontrol.screening.model import Address, Alias, Identifier, ListEntry

__all__ = ["parse_csl"]

_REQUIRED = ("source", "name")
_KINDS = {"entity": "entity", "individual": "person", "vessel": "vessel", "aircraft": "aircraft"}
_CODE = re.compile(r"\(([A-Z][A-Z0-9-]{1,9})\)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def list_code(source: str) -> str:
    """The short code in a CSL source name: `Entity List (EL) - Bureau ...` gives `EL`."""
    match = _CODE.search(source)
    return match.group(1) if match else source.strip()


def parse_csl(text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    """Parse a CSL file's text (CSV, TSV or JSON, told apart by the first character)."""
    if text.lstrip()[:1] in ("{", "["):
        return _parse_json(text, file, problems)
    return _parse_delimited(text, file, problems)


def _at_line(problems: Problems, file: str, line: int, message: str) -> None:
    problems.add(message, file, line)


def _at_path(problems: Problems, file: str, path: str, message: str) -> None:
    problems.add(message, file, path=path)


def _split(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _parse_delimited(text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    entries: list[ListEntry] = []
    rows = delimited_rows(text, file, problems, delimiter=delimiter, required=_REQUIRED, kind="CSL")
    for start, row in rows:
        record: dict[str, Any] = dict(row)
        for column in ("alt_names", "programs", "citizenships", "nationalities", "ids"):
            record[column] = _split(record.get(column))
        record["dates_of_birth"] = _split(record.get("dates_of_birth"))
        record["addresses"] = [
            {"text": a, "country": a.rsplit(",", 1)[-1].strip() if "," in a else None}
            for a in _split(record.get("addresses"))
        ]
        entry = _entry(record, functools.partial(_at_line, problems, file, start))
        if entry is not None:
            entries.append(entry)
    return merge_duplicates(entries)


def _parse_json(text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.add(f"invalid JSON: {error.msg}", file, error.lineno, column=error.colno)
        return ()
    prefix = "$"
    if isinstance(data, dict):
        data, prefix = data.get("results"), "$.results"
    if not isinstance(data, list):
        problems.add("expected an array of results or an object with `results`", file, path="$")
        return ()
    entries: list[ListEntry] = []
    for number, item in enumerate(data):
        path = f"{prefix}[{number}]"
        if not isinstance(item, dict):
            problems.add("expected an object", file, path=path)
            continue
        record = dict(item)
        for key in ("alt_names", "programs", "citizenships", "nationalities", "dates_of_birth"):
            record[key] = _split(record.get(key))
        record["addresses"] = [_json_address(a) for a in record.get("addresses") or []]
        record["ids"] = [_json_id(i) for i in record.get("ids") or []]
        entry = _entry(record, functools.partial(_at_path, problems, file, path))
        if entry is not None:
            entries.append(entry)
    return merge_duplicates(entries)


def _json_address(value: object) -> dict[str, str | None]:
    if isinstance(value, Mapping):
        parts = [clean(value.get(k)) for k in ("address", "city", "state", "postal_code")]
        country = clean(value.get("country"))
        text = ", ".join(p for p in (*parts, country) if p)
        return {"text": text, "country": country}
    return {"text": str(value), "country": None}


def _json_id(value: object) -> str:
    if isinstance(value, Mapping):
        parts = (clean(value.get("country")), clean(value.get("number")), clean(value.get("type")))
        return ", ".join(p for p in parts if p)
    return str(value)


def _identifier(text: str) -> Identifier | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 3 and country_code(parts[0]):
        return Identifier(parts[-1], ", ".join(parts[1:-1]), country_code(parts[0]))
    if len(parts) >= 2 and any(ch.isdigit() for ch in parts[0]):
        return Identifier(parts[-1], ", ".join(parts[:-1]))
    return None


def _entry(record: Mapping[str, Any], report: Callable[[str], None]) -> ListEntry | None:
    name = clean(record.get("name"))
    source = clean(record.get("source"))
    ok = True
    if name is None:
        report("empty `name`")
        ok = False
    if source is None:
        report("empty `source`")
        ok = False
    dates: dict[str, str | None] = {}
    for key in ("start_date", "end_date"):
        value = clean(record.get(key))
        if value is not None and not _DATE.fullmatch(value):
            report(f"`{key}` `{value}` is not a date (YYYY-MM-DD)")
            ok = False
        dates[key] = value
    kind_text = (clean(record.get("type")) or "").lower()
    if kind_text and kind_text not in _KINDS:
        report(f"unknown `type` `{record.get('type')}`: expected Entity, Individual, Vessel")
        ok = False
    if not ok or name is None or source is None:
        return None
    code = list_code(source)
    number = clean(record.get("entity_number")) or clean(record.get("id"))
    entry_id = f"{code}-{number}" if number else f"{code}-{stable_id(name, dates['start_date'])}"
    addresses = tuple(
        Address(a["text"], country_code(a["country"]) if a["country"] else None)
        for a in record["addresses"]
        if clean(a["text"])
    )
    nations = (*record["citizenships"], *record["nationalities"])
    identifiers = tuple(i for i in (_identifier(t) for t in record["ids"]) if i is not None)
    return ListEntry(
        entry_id=entry_id,
        list_code=code,
        list_name=source,
        kind=_KINDS.get(kind_text, "unknown"),
        name=name,
        aliases=tuple(Alias(a) for a in unique(record["alt_names"]) if a != name),
        addresses=addresses,
        countries=countries_of(addresses, nations),
        identifiers=identifiers,
        programs=unique(record["programs"]),
        dates_of_birth=unique(loose_date(d) for d in record["dates_of_birth"]),
        start_date=dates["start_date"],
        end_date=dates["end_date"],
        license_requirement=clean(record.get("license_requirement")),
        license_policy=clean(record.get("license_policy")),
        federal_register_notice=clean(record.get("federal_register_notice")),
        remarks=clean(record.get("remarks")),
        source_url=clean(record.get("source_list_url")),
    )
