"""Derive `ccl_exclusions.csv` from the `except ...` notes of the us-ear control tables.

A control line that applies to a paragraph "except" named sub-paragraphs is mechanical when the
exception is a plain list of paragraphs of the same entry: an item classified under an excepted
paragraph is not covered. This script finds those notes in `ccl_controls.csv` (and in
`special_controls.csv`), writes one row per (control, excepted paragraph) to
`ccl_exclusions.csv`, and marks the fully handled controls as no longer qualified. Notes with any
other wording stay qualified: the rules then apply the control and ask a person to check.

Run from the repository root: `python tools/us_ear_exclusions.py` (add `--check` to verify the
committed files are what the script produces).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

TABLES = Path(__file__).resolve().parents[1] / "rulesets" / "us-ear" / "tables"
_REF = r"(?:[0-9][A-EY][0-9]{3})?(?:\.(?:[a-z]{1,2}|[0-9]{1,2}))+"
_EXCEPT = re.compile(rf"(?:\[2025 ed\.\] )?except ({_REF}(?:(?:, | and |, and ){_REF})*)")
_KIND = {"chart": "chart", "destinations": "listed-destinations"}


def _full(reference: str, entry: str) -> str:
    return reference if reference[:1].isdigit() else entry + reference


def _references(text: str, entry: str) -> list[str] | None:
    """The paragraphs of an `except` list, or `None` when the note is not just such a list
    (optionally followed by ` | ` and other remarks, which do not qualify the scope)."""
    head = text.split(" | ", 1)[0].strip()
    match = _EXCEPT.fullmatch(head)
    if match is None:
        return None
    refs = [_full(r.strip(), entry) for r in re.split(r", and |, | and ", match.group(1))]
    if any(r.split(".")[0] != entry for r in refs):
        return None
    return refs


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (TABLES / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or ()), list(reader)


def _text(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _exclusion(eccn: str, kind: str, reason: str, scope: str, excluded: str) -> dict[str, str]:
    return {"eccn": eccn, "kind": kind, "reason": reason, "scope": scope, "excluded": excluded}


def build() -> dict[str, str]:
    """The new content of each file, by name."""
    header, controls = _read("ccl_controls.csv")
    exclusions: list[dict[str, str]] = []
    for row in controls:
        kind = _KIND.get(row["kind"])
        if kind is None or not row["note"]:
            continue
        refs = _references(row["note"], row["eccn"])
        if refs is None:
            continue
        row["qualified"] = "false"
        for ref in refs:
            exclusions.append(_exclusion(row["eccn"], kind, row["reason"], row["scope"], ref))
    special_header, special = _read("special_controls.csv")
    for row in special:
        entry = row["scope"].split(".")[0]
        refs = _references(row["note"], entry) if row["note"] else None
        if refs is None:
            continue
        row["qualified"] = "false"
        for ref in refs:
            exclusions.append(_exclusion(entry, "footnote", row["reason"], row["scope"], ref))
    unique = {tuple(e.values()): e for e in exclusions}
    ordered = [unique[k] for k in sorted(unique)]
    return {
        "ccl_controls.csv": _text(header, controls),
        "special_controls.csv": _text(special_header, special),
        "ccl_exclusions.csv": _text(["eccn", "kind", "reason", "scope", "excluded"], ordered),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file would change")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build().items():
        path = TABLES / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    print(f"{'checked' if args.check else 'written'}: {len(build())} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
