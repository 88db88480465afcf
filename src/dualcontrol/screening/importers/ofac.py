"""OFAC's legacy SDN files: `sdn.csv`, `alt.csv` (aliases) and `add.csv` (addresses).

The files are Latin-1 CSV without a header; `-0-` marks an empty field; a lone Ctrl-Z (0x1A)
ends each file. `sdn.csv`: ent_num, name, type (`-0-` for an entity, `individual`, `vessel`,
`aircraft`), programs (`SDGT] [IFSR` for several), title, call sign, vessel type, tonnage, GRT,
vessel flag, vessel owner, remarks. `alt.csv`: ent_num, alt_num, type (`aka`, `fka`, `nka`), name,
remarks. `add.csv`: ent_num, add_num, address, city/state/postal code, country, remarks.

The remarks of `sdn.csv` carry facts used for matching: dates of birth (`DOB 08 Sep 1966`,
`alt. DOB 1984`), nationality and citizenship, identifiers (`Passport A123 (Iran)`), and OFAC's
weak aliases (`a.k.a. 'BNC'`), which `alt.csv` does not hold.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict

from dualcontrol.screening.countries import country_code
from dualcontrol.screening.importers._common import (
    Problems,
    clean,
    countries_of,
    loose_date,
    unique,
)
from dualcontrol.screening.model import Address, Alias, Identifier, ListEntry

__all__ = ["OFAC_LIST_NAME", "parse_ofac"]

OFAC_LIST_NAME = "Specially Designated Nationals (SDN) - Treasury Department"
_EMPTY = ("-0-",)
_FIELDS = {"sdn.csv": 12, "alt.csv": 5, "add.csv": 6}
_KINDS = {None: "entity", "individual": "person", "vessel": "vessel", "aircraft": "aircraft"}
_ALIAS_KINDS = ("aka", "fka", "nka")
_WEAK = re.compile(r"^(a|f|n)\.k\.a\. '(.+)'\.?$")
_DOB = re.compile(r"^(?:alt\. )?DOB (.+?)\.?$")
_NATION = re.compile(r"^(?:alt\. )?(?:nationality|citizen) (.+?)\.?$")
_IDENTIFIER = re.compile(
    r"^(?:alt\. )?(?P<kind>(?:[^\s;]+ )*?(?:No\.|#|ID|IMO|Passport|SWIFT/BIC|C\.U\.R\.P\.|"
    r"R\.F\.C\.)) (?P<value>[A-Za-z0-9./-]*\d[A-Za-z0-9./-]*)"
    r"(?: \((?P<country>[^)]+)\))?"
)


def _rows(
    text: str, file: str, role: str, problems: Problems
) -> list[tuple[int, list[str | None]]]:
    rows: list[tuple[int, list[str | None]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    expected = _FIELDS[role]
    line = 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not row or row == ["\x1a"] or not "".join(row).strip(" \x1a\r\n"):
            continue
        if len(row) != expected:
            hint = ""
            for other, count in _FIELDS.items():
                if count == len(row) and other != role and not rows:
                    hint = f": this looks like `{other}` (give sdn.csv alt.csv add.csv in order)"
            problems.add(f"{role}: expected {expected} fields, found {len(row)}{hint}", file, start)
            if hint:
                return []
            continue
        rows.append((start, [clean(cell, _EMPTY) for cell in row]))
    return rows


def _ent_num(value: str | None, file: str, line: int, problems: Problems) -> int | None:
    if value is None or not value.isdigit():
        problems.add(f"`ent_num` `{value or ''}` is not a number", file, line)
        return None
    return int(value)


def _remarks(remarks: str | None) -> tuple[list[str], list[str], list[Alias], list[Identifier]]:
    dates: list[str] = []
    nations: list[str] = []
    weak: list[Alias] = []
    identifiers: list[Identifier] = []
    for part in (p.strip() for p in (remarks or "").split(";")):
        if not part:
            continue
        if match := _WEAK.match(part):
            weak.append(Alias(match.group(2), f"{match.group(1)}ka", weak=True))
        elif match := _DOB.match(part):
            date = loose_date(match.group(1))
            if date:
                dates.append(date)
        elif match := _NATION.match(part):
            nations.append(match.group(1))
        elif match := _IDENTIFIER.match(part):
            country = country_code(match.group("country"))
            identifiers.append(Identifier(match.group("kind"), match.group("value"), country))
    return dates, nations, weak, identifiers


def parse_ofac(
    texts: tuple[str, str, str], files: tuple[str, str, str], problems: Problems
) -> tuple[ListEntry, ...]:
    """Parse the texts of `sdn.csv`, `alt.csv` and `add.csv`, in that order."""
    sdn_file, alt_file, add_file = files
    sdn_rows = _rows(texts[0], sdn_file, "sdn.csv", problems)
    alt_rows = _rows(texts[1], alt_file, "alt.csv", problems)
    add_rows = _rows(texts[2], add_file, "add.csv", problems)
    aliases: dict[int, list[Alias]] = defaultdict(list)
    addresses: dict[int, list[Address]] = defaultdict(list)
    known: dict[int, int] = {}
    for line, row in sdn_rows:
        number = _ent_num(row[0], sdn_file, line, problems)
        if number is None:
            continue
        if number in known:
            problems.add(
                f"duplicate `ent_num` {number} (first on line {known[number]})", sdn_file, line
            )
        known.setdefault(number, line)
    for line, row in alt_rows:
        number = _ent_num(row[0], alt_file, line, problems)
        if number is None:
            continue
        kind, name = (row[2] or "").lower(), row[3]
        if number not in known:
            problems.add(f"alias of unknown `ent_num` {number}", alt_file, line)
        elif kind not in _ALIAS_KINDS:
            problems.add(f"alias type `{row[2] or ''}`: expected aka, fka or nka", alt_file, line)
        elif name is None:
            problems.add("empty alias name", alt_file, line)
        else:
            aliases[number].append(Alias(name, kind))
    for line, row in add_rows:
        number = _ent_num(row[0], add_file, line, problems)
        if number is None:
            continue
        if number not in known:
            problems.add(f"address of unknown `ent_num` {number}", add_file, line)
            continue
        text = ", ".join(p for p in (row[2], row[3], row[4]) if p)
        if text:
            addresses[number].append(Address(text, country_code(row[4])))
    entries: list[ListEntry] = []
    for line, row in sdn_rows:
        if row[0] is None or not row[0].isdigit():
            continue
        number = int(row[0])
        name, kind_text = row[1], (row[2] or None)
        kind_key = kind_text.lower() if kind_text else None
        if name is None:
            problems.add("empty name", sdn_file, line)
            continue
        if kind_key not in _KINDS:
            problems.add(
                f"unknown type `{kind_text}`: expected -0-, individual, vessel, aircraft",
                sdn_file,
                line,
            )
            continue
        dates, nations, weak, identifiers = _remarks(row[11])
        listed = tuple(addresses.get(number, ()))
        programs = [p.strip(" []") for p in (row[3] or "").split("] [")]
        entries.append(
            ListEntry(
                entry_id=f"SDN-{number}",
                list_code="SDN",
                list_name=OFAC_LIST_NAME,
                kind=_KINDS[kind_key],
                name=name,
                aliases=(*aliases.get(number, ()), *weak),
                addresses=listed,
                countries=countries_of(listed, nations),
                identifiers=tuple(identifiers),
                programs=unique(programs),
                dates_of_birth=unique(dates),
                remarks=row[11],
            )
        )
    return tuple(sorted(entries, key=lambda e: int(e.entry_id[4:])))
