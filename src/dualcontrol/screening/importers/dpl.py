"""The BIS Denied Persons List text file.

Tab separated, fields quoted, a header row naming the columns `Name`, `Street_Address`, `City`,
`State`, `Country`, `Postal_Code`, `Effective_Date`, `Expiration_Date` (both `MM/DD/YYYY`),
`Standard_Order`, `Last_Update`, `Action`, `FR_Citation`. The list gives no ids and repeats a
party once per address: rows with the same name and effective date become one entry, whose id is
a hash of both. A blank country with a US state and a five-digit postal code is the United States.
"""

from __future__ import annotations

import re

from dualcontrol.screening.countries import country_code
from dualcontrol.screening.importers._common import (
    Problems,
    clean,
    delimited_rows,
    iso_date,
    merge_duplicates,
    stable_id,
)
from dualcontrol.screening.model import Address, ListEntry

__all__ = ["DPL_LIST_NAME", "parse_dpl"]

DPL_LIST_NAME = "Denied Persons List (DPL) - Bureau of Industry and Security"

_REQUIRED = ("name", "effective_date")


def _words(text: str) -> tuple[str, ...]:
    """The words of a text block: keeps long word lists readable."""
    return tuple(text.split())


_US_STATES = frozenset(
    _words(
        """
        AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
        NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP
        """
    )
)
_ZIP = re.compile(r"\d{5}(-\d{4})?")


def _date(value: str | None, column: str, file: str, line: int, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        return iso_date(value, "%m/%d/%Y")
    except ValueError:
        problems.add(f"`{column}` `{value}` is not a date (MM/DD/YYYY)", file, line)
        return None


def _country(row: dict[str, str | None]) -> str | None:
    given = row.get("country")
    if given:
        return country_code(given)
    state, postal = row.get("state") or "", row.get("postal_code") or ""
    if state.upper() in _US_STATES and _ZIP.fullmatch(postal):
        return "US"
    return None


def parse_dpl(text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    """Parse the text of a Denied Persons List file."""
    entries: list[ListEntry] = []
    rows = delimited_rows(
        text, file, problems, delimiter="\t", required=_REQUIRED, kind="Denied Persons List"
    )
    for start, cells in rows:
        row = {key: clean(value) for key, value in cells.items()}
        name = row.get("name")
        if name is None:
            problems.add("empty `Name`", file, start)
        effective = _date(row.get("effective_date"), "Effective_Date", file, start, problems)
        expiration = _date(row.get("expiration_date"), "Expiration_Date", file, start, problems)
        if row.get("effective_date") is None:
            problems.add("empty `Effective_Date`", file, start)
        if name is None or effective is None:
            continue
        parts = ("street_address", "city", "state", "postal_code", "country")
        text_address = ", ".join(v for v in (row.get(k) for k in parts) if v)
        country = _country(row)
        addresses = (Address(text_address, country),) if text_address else ()
        remarks = "; ".join(
            f"{label}: {row[key]}"
            for key, label in (("action", "action"), ("standard_order", "standard order"))
            if row.get(key)
        )
        entries.append(
            ListEntry(
                entry_id=f"DPL-{stable_id(name, effective)}",
                list_code="DPL",
                list_name=DPL_LIST_NAME,
                kind="unknown",
                name=name,
                addresses=addresses,
                countries=(country,) if country else (),
                start_date=effective,
                end_date=expiration,
                federal_register_notice=row.get("fr_citation"),
                remarks=remarks or None,
            )
        )
    return merge_duplicates(entries)
