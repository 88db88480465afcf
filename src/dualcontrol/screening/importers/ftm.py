"""OpenSanctions / FollowTheMoney entities as NDJSON (one JSON object per line).

Each line is an entity: `{"id", "schema", "properties": {"name": [...], ...}}`, optionally with
`datasets`, `caption` and `target`. Parties are the entities of schema `Person`, `Company`,
`Organization`, `LegalEntity`, `PublicBody`, `Vessel` and `Airplane`; an entity with `"target":
false` is context, not a listed party, and is skipped. `Sanction` entities add their programs and
dates to the entity they name; `Address`, `Identification` and `Passport` entities add addresses
and identifiers. Property values that are objects (the nested export) are read as entities too.

Names: `name` (the first, or the caption, is the listed name), `alias`, `previousName` (fka) and
`weakAlias` (weak). The list code is taken from the first dataset (`us_ofac_sdn` gives `SDN`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from dualcontrol.screening.countries import country_code
from dualcontrol.screening.importers._common import Problems, countries_of, unique
from dualcontrol.screening.model import Address, Alias, Identifier, ListEntry

__all__ = ["parse_ftm"]

_KINDS = {
    "Person": "person",
    "Company": "entity",
    "Organization": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_DATASET_CODES = {
    "us_ofac_sdn": "SDN",
    "us_ofac_cons": "OFAC-CONS",
    "us_bis_denied": "DPL",
    "us_trade_csl": "CSL",
    "eu_fsf": "EU-FSF",
    "gb_hmt_sanctions": "UK-HMT",
    "un_sc_sanctions": "UN-SC",
    "ch_seco_sanctions": "CH-SECO",
}
_COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction", "mainCountry")
_ID_PROPS = (
    "idNumber", "passportNumber", "taxNumber", "registrationNumber", "innCode", "ogrnCode",
    "leiCode", "imoNumber", "swiftBic", "vatCode", "mmsi", "callSign",
)  # fmt: skip
_DATE = re.compile(r"\d{4}(-\d\d(-\d\d)?)?")


def _values(props: Mapping[str, Any], key: str) -> list[str]:
    value = props.get(key)
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _first(props: Mapping[str, Any], key: str) -> str | None:
    values = _values(props, key)
    return values[0] if values else None


def _date(value: str) -> str | None:
    match = _DATE.match(value)
    return match.group(0) if match else None


class _Collector:
    """Entities of one file by id, with the facts other entities add to them."""

    def __init__(self, file: str, problems: Problems) -> None:
        self.file = file
        self.problems = problems
        self.entities: dict[str, tuple[int, dict[str, Any]]] = {}
        self.sanctions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ids: dict[str, list[Identifier]] = defaultdict(list)

    def add(self, data: object, line: int, path: str) -> str | None:
        if not isinstance(data, dict):
            self.problems.add("expected an entity object", self.file, line, path=path)
            return None
        entity_id, schema, props = data.get("id"), data.get("schema"), data.get("properties")
        bad = False
        if not isinstance(entity_id, str) or not entity_id:
            self.problems.add("entity without a string `id`", self.file, line, path=path)
            bad = True
        if not isinstance(schema, str) or not schema:
            self.problems.add("entity without a string `schema`", self.file, line, path=path)
            bad = True
        if props is None:
            props = {}
        if not isinstance(props, dict):
            self.problems.add("`properties` is not an object", self.file, line, path=path)
            bad = True
        if bad or not isinstance(entity_id, str) or not isinstance(props, dict):
            return None
        flat: dict[str, Any] = {}
        for key, values in props.items():
            if not isinstance(values, list):
                where = f"{path}.properties.{key}"
                self.problems.add("property value is not an array", self.file, line, path=where)
                continue
            flat[key] = [self._nested(v, line, f"{path}.properties.{key}") for v in values]
        record = {**data, "properties": flat}
        self.entities.setdefault(entity_id, (line, record))
        if schema == "Sanction":
            for target in _values(flat, "entity"):
                self.sanctions[target].append(flat)
        elif schema in ("Identification", "Passport"):
            number = _values(flat, "number") or _values(flat, "passportNumber")
            kind = (_values(flat, "type") or [schema])[0]
            country = _first(flat, "country")
            for holder in _values(flat, "holder"):
                for value in number:
                    self.ids[holder].append(Identifier(kind, value, country_code(country)))
        return entity_id

    def _nested(self, value: object, line: int, path: str) -> object:
        if isinstance(value, dict) and "schema" in value:
            return self.add(value, line, path)
        return value


def parse_ftm(text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    """Parse FollowTheMoney NDJSON text."""
    collector = _Collector(file, problems)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.add(f"invalid JSON: {error.msg}", file, number, column=error.colno)
            continue
        collector.add(data, number, "$")
    entries: list[ListEntry] = []
    for entity_id, (number, record) in sorted(collector.entities.items()):
        kind = _KINDS.get(record["schema"])
        if kind is None or record.get("target") is False:
            continue
        entry = _entry(entity_id, kind, record, collector)
        if entry is None:
            problems.add(f"entity `{entity_id}` has no `name`", file, number)
        else:
            entries.append(entry)
    return tuple(entries)


def _addresses(props: Mapping[str, Any], collector: _Collector) -> tuple[Address, ...]:
    found: list[Address] = [Address(text) for text in _values(props, "address")]
    for ref in _values(props, "addressEntity"):
        linked = collector.entities.get(ref)
        if linked is None:
            continue
        linked_props = linked[1]["properties"]
        country = _first(linked_props, "country")
        for full in _values(linked_props, "full"):
            found.append(Address(full, country_code(country)))
    return tuple(dict.fromkeys(found))


def _entry(
    entity_id: str, kind: str, record: Mapping[str, Any], collector: _Collector
) -> ListEntry | None:
    props: Mapping[str, Any] = record["properties"]
    names = _values(props, "name")
    caption = record.get("caption")
    if isinstance(caption, str) and caption in names:
        names.remove(caption)
        names.insert(0, caption)
    if not names:
        return None
    aliases = [Alias(n) for n in names[1:]]
    aliases += [Alias(n) for n in _values(props, "alias")]
    aliases += [Alias(n, "fka") for n in _values(props, "previousName")]
    aliases += [Alias(n, weak=True) for n in _values(props, "weakAlias")]
    sanctions = collector.sanctions.get(entity_id, [])
    programs = _values(props, "program") + [p for s in sanctions for p in _values(s, "program")]
    starts = sorted(
        d
        for s in sanctions
        for d in (_date(v) for v in _values(s, "startDate") + _values(s, "listingDate"))
        if d
    )
    ends = sorted(d for s in sanctions for d in (_date(v) for v in _values(s, "endDate")) if d)
    datasets = record.get("datasets")
    first = datasets[0] if isinstance(datasets, list) and datasets else "ftm"
    code = _DATASET_CODES.get(str(first), str(first))
    identifiers = [Identifier(key, value) for key in _ID_PROPS for value in _values(props, key)]
    identifiers += collector.ids.get(entity_id, [])
    addresses = _addresses(props, collector)
    countries: Iterable[str] = (c for key in _COUNTRY_PROPS for c in _values(props, key))
    notes = _values(props, "notes")
    return ListEntry(
        entry_id=entity_id,
        list_code=code,
        list_name=str(first),
        kind=kind,
        name=names[0],
        aliases=tuple(dict.fromkeys(a for a in aliases if a.name != names[0])),
        addresses=addresses,
        countries=countries_of(addresses, countries),
        identifiers=tuple(dict.fromkeys(identifiers)),
        programs=unique(programs),
        dates_of_birth=unique(_date(d) for d in _values(props, "birthDate")),
        start_date=starts[0] if starts else None,
        end_date=ends[-1] if ends else None,
        remarks=notes[0] if notes else None,
        source_url=_first(props, "sourceUrl"),
    )
