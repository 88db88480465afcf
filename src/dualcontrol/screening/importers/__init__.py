"""Importers of the official list formats: each reads files into `ListEntry` tuples or fails whole.

An importer reads every file completely and collects every problem before it returns; with any
problem it raises `ListError` naming each as `file:line` (or `file: $.path` for JSON), and nothing
is imported. Formats: `csl` (US Consolidated Screening List, CSV, TSV or JSON), `ofac-sdn` (OFAC's
`sdn.csv`, `alt.csv`, `add.csv`, in that order), `bis-dpl` (BIS Denied Persons List text file),
`ftm` (OpenSanctions / FollowTheMoney NDJSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from dualcontrol.errors import ListError, Problem
from dualcontrol.screening.importers._common import Problems, decode, read_bytes
from dualcontrol.screening.importers.csl import parse_csl
from dualcontrol.screening.importers.dpl import parse_dpl
from dualcontrol.screening.importers.ftm import parse_ftm
from dualcontrol.screening.importers.ofac import parse_ofac
from dualcontrol.screening.model import ListEntry

__all__ = ["FORMATS", "ParsedList", "parse_text", "read_list"]

FORMATS = ("csl", "ofac-sdn", "bis-dpl", "ftm")
"""The list formats that can be imported."""

_SINGLE_FILE = ("csl", "bis-dpl", "ftm")


@attrs.frozen
class ParsedList:
    """The entries read from one list's files."""

    format: str
    entries: tuple[ListEntry, ...]
    files: tuple[str, ...]


def parse_text(fmt: str, text: str, file: str = "<text>") -> tuple[ListEntry, ...]:
    """Parse one file's text of a single-file format (`csl`, `bis-dpl`, `ftm`)."""
    if fmt not in _SINGLE_FILE:
        raise ListError([Problem(f"format `{fmt}` is not a single-file format", file=file)])
    problems = Problems()
    entries = _parse_one(fmt, text, file, problems)
    problems.check()
    if not entries:
        problems.add("no entries found", file)
        problems.check()
    return entries


def read_list(fmt: str, paths: Sequence[Path | str]) -> ParsedList:
    """Read list files of a format; raise `ListError` with every problem, or return all entries."""
    files = tuple(Path(p) for p in paths)
    names = tuple(str(p) for p in files)
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise ListError([Problem(f"unknown list format `{fmt}`: expected one of {known}")])
    expected = 3 if fmt == "ofac-sdn" else 1
    if len(files) != expected:
        what = "sdn.csv alt.csv add.csv, in that order" if expected == 3 else "one file"
        message = f"format `{fmt}` takes {what}; got {len(files)} file(s)"
        raise ListError([Problem(message)])
    problems = Problems()
    encoding = "latin-1" if fmt == "ofac-sdn" else "utf-8"
    texts: list[str] = []
    for path, name in zip(files, names, strict=True):
        data = read_bytes(path, problems)
        if data is None:
            continue
        if fmt == "bis-dpl" and not _is_utf8(data):
            encoding = "cp1252" if _is_cp1252(data) else "latin-1"
        text = decode(data, name, encoding, problems)
        if text is not None:
            texts.append(text)
    problems.check()
    if fmt == "ofac-sdn":
        sdn, alt, add = names
        entries = parse_ofac((texts[0], texts[1], texts[2]), (sdn, alt, add), problems)
    else:
        entries = _parse_one(fmt, texts[0], names[0], problems)
    problems.check()
    if not entries:
        problems.add("no entries found", names[0])
        problems.check()
    return ParsedList(fmt, entries, names)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _parse_one(fmt: str, text: str, file: str, problems: Problems) -> tuple[ListEntry, ...]:
    if fmt == "csl":
        return parse_csl(text, file, problems)
    if fmt == "bis-dpl":
        return parse_dpl(text, file, problems)
    return parse_ftm(text, file, problems)
