"""What every importer shares: problem collection, text decoding, dates, ids and merging."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from dualcontrol.errors import ListError, Problem
from dualcontrol.screening.countries import country_code
from dualcontrol.screening.model import Address, ListEntry
from dualcontrol.screening.normalize import fold

__all__ = [
    "MAX_PROBLEMS",
    "Problems",
    "clean",
    "countries_of",
    "decode",
    "delimited_rows",
    "iso_date",
    "loose_date",
    "merge_duplicates",
    "read_bytes",
    "stable_id",
    "unique",
]

MAX_PROBLEMS = 200
"""At most this many problems are listed; the rest are counted in a last problem."""


class Problems:
    """The problems found in one import, all reported at once by `check`."""

    def __init__(self) -> None:
        self._problems: list[Problem] = []
        self._dropped = 0

    def add(
        self,
        message: str,
        file: str,
        line: int | None = None,
        *,
        path: str | None = None,
        column: int | None = None,
    ) -> None:
        """Record a problem at `file:line` (text formats) or `file: path` (JSON)."""
        if len(self._problems) < MAX_PROBLEMS:
            problem = Problem(message, path=path, file=file, line=line, column=column)
            self._problems.append(problem)
        else:
            self._dropped += 1

    def __bool__(self) -> bool:
        return bool(self._problems)

    def check(self) -> None:
        """Raise `ListError` with every problem recorded, if any."""
        if not self._problems:
            return
        problems = list(self._problems)
        if self._dropped:
            message = f"and {self._dropped} more problems not listed"
            problems.append(Problem(message, file=problems[-1].file))
        raise ListError(problems)


def decode(data: bytes, file: str, encoding: str, problems: Problems) -> str | None:
    """Decode a list file, recording where undecodable bytes start; a BOM is dropped."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(f"bytes not valid {encoding} at offset {error.start}", file, line)
        return None
    return text.removeprefix("\ufeff")


def read_bytes(path: Path, problems: Problems) -> bytes | None:
    """Read a file, recording a problem when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        problems.add(f"cannot read file: {error.strerror or error}", str(path))
        return None


def clean(value: object, empty: Iterable[str] = ()) -> str | None:
    """A stripped string, or None for nothing, an empty string or one of the `empty` markers."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text in empty:
        return None
    return text


def delimited_rows(
    text: str,
    file: str,
    problems: Problems,
    *,
    delimiter: str,
    required: Sequence[str],
    kind: str,
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a delimited file with a header, as `(line, {column: cell})`.

    Columns are named by the header, lower-cased. A missing header or required column, and a row
    with the wrong number of fields, are recorded as problems (`kind` names the file type in the
    message); blank rows are skipped.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        problems.add(f"empty file: expected a {kind} header row", file, 1)
        return
    missing = [c for c in required if c not in header]
    if missing:
        names = ", ".join(f"`{c}`" for c in missing)
        problems.add(f"header lacks column {names}: not a {kind} file", file, 1)
        return
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.add(f"expected {len(header)} fields, found {len(cells)}", file, start)
            continue
        yield start, dict(zip(header, cells, strict=True))


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def iso_date(text: str, pattern: str) -> str:
    """A date in `pattern` (strptime) as ISO 8601; ValueError when it is not one."""
    return dt.datetime.strptime(text.strip(), pattern).date().isoformat()


def loose_date(text: str) -> str | None:
    """A date of birth as lists write it, as ISO 8601, partial when the list is.

    Accepts `1966`, `1966-09`, `1966-09-08`, `08 Sep 1966`, `Sep 1966`, `09/08/1966` (US order).
    Anything vaguer (`circa 1970`, `1960 to 1962`) gives None: such a date cannot contradict.
    """
    value = text.strip()
    if re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", value):
        return value
    match = re.fullmatch(r"(?:(\d{1,2}) )?([A-Za-z]{3})[a-z]* (\d{4})", value)
    if match and match.group(2).lower() in _MONTHS:
        month = _MONTHS[match.group(2).lower()]
        if match.group(1):
            return f"{match.group(3)}-{month:02d}-{int(match.group(1)):02d}"
        return f"{match.group(3)}-{month:02d}"
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if match:
        return f"{match.group(3)}-{int(match.group(1)):02d}-{int(match.group(2)):02d}"
    return None


def stable_id(*parts: str | None) -> str:
    """A short content hash for entries the list gives no id: same content, same id."""
    text = "\x1f".join(fold(p or "") for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct non-empty values, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def countries_of(addresses: Sequence[Address], others: Iterable[str | None]) -> tuple[str, ...]:
    """The sorted country codes of addresses and of other country texts."""
    codes = {a.country for a in addresses if a.country}
    codes.update(c for c in (country_code(o) for o in others) if c)
    return tuple(sorted(codes))


def merge_duplicates(entries: Iterable[ListEntry]) -> tuple[ListEntry, ...]:
    """Entries with the same id merged into one, sorted by id.

    Lists without ids repeat a party once per address (the Denied Persons List, Entity List
    rows of the CSL); such rows share name and dates, hence their id, and become one entry with
    every address, alias and identifier.
    """
    merged: dict[str, ListEntry] = {}
    for entry in entries:
        first = merged.get(entry.entry_id)
        if first is None:
            merged[entry.entry_id] = entry
            continue
        merged[entry.entry_id] = attrs.evolve(
            first,
            aliases=tuple(dict.fromkeys((*first.aliases, *entry.aliases))),
            addresses=tuple(dict.fromkeys((*first.addresses, *entry.addresses))),
            countries=tuple(sorted({*first.countries, *entry.countries})),
            identifiers=tuple(dict.fromkeys((*first.identifiers, *entry.identifiers))),
            programs=unique((*first.programs, *entry.programs)),
            dates_of_birth=unique((*first.dates_of_birth, *entry.dates_of_birth)),
        )
    return tuple(merged[key] for key in sorted(merged))
