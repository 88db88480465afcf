"""The `lists` and `screen` commands, thin over the public screening API.

`register(subparsers)` adds both to the main `dualcontrol` parser; each parser sets `func` to its
`run_<command>(args) -> int`. Exit codes: 0 done (whatever the hits), 2 bad input (message on
stderr naming the file and line, no traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from dualcontrol.errors import DualcontrolError
from dualcontrol.screening.importers import FORMATS
from dualcontrol.screening.model import Hit, ImportReport, ScreeningResult, Snapshot
from dualcontrol.screening.screener import Screener, ScreeningError
from dualcontrol.screening.store import ListStore, default_db_path

__all__ = [
    "main",
    "register",
    "render_text",
    "run_lists_import",
    "run_lists_show",
    "run_screen",
]

_SHOWN_IDS = 10


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lists` (`import`, `show`) and `screen` commands to a `dualcontrol` parser."""
    lists = subparsers.add_parser(
        "lists",
        help="import and show restricted-party lists",
        description=f"Restricted-party lists in the store (default {default_db_path()}).",
    )
    commands = lists.add_subparsers(dest="lists_command", metavar="COMMAND", required=True)
    load = commands.add_parser(
        "import",
        help="import list files as a new snapshot",
        description="Import list files as a new snapshot and show what changed. For ofac-sdn "
        "give sdn.csv alt.csv add.csv, in that order.",
    )
    load.add_argument("--format", required=True, choices=FORMATS, dest="list_format")
    load.add_argument("--db", type=Path, help="list store (default: see `lists show`)")
    load.add_argument("--dataset", help="dataset name (default: the format)")
    load.add_argument("--date", dest="list_date", help="publication date of the list, YYYY-MM-DD")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.set_defaults(func=run_lists_import)
    show = commands.add_parser("show", help="show the snapshots in the store")
    show.add_argument("--db", type=Path, help="list store")
    show.set_defaults(func=run_lists_show)

    screen = subparsers.add_parser(
        "screen",
        help="screen names against the restricted-party lists",
        description="Screen names against the current snapshot of every list in the store.",
    )
    screen.add_argument("names", nargs="*", metavar="NAME")
    screen.add_argument("--batch", type=Path, metavar="FILE", help="a file of names, one a line")
    source = screen.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, help="list store")
    source.add_argument("--demo", action="store_true", help="use the demo list shipped with us")
    screen.add_argument("--threshold", type=float, help="score for a match, 0..1")
    screen.add_argument("--country", help="ISO alpha-2 country of the party")
    screen.add_argument("--date-of-birth", help="YYYY, YYYY-MM or YYYY-MM-DD")
    screen.add_argument("--format", choices=("json", "text"), default="json", dest="output")
    screen.set_defaults(func=run_screen)


def _guard(body: Callable[[argparse.Namespace, TextIO], int], args: argparse.Namespace) -> int:
    """Run a command; a `DualcontrolError` is bad input (2), anything else internal (1)."""
    try:
        return body(args, sys.stdout)
    except DualcontrolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        print(f"internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def run_lists_import(args: argparse.Namespace) -> int:
    """`dualcontrol lists import --format F [--db PATH] [--dataset D] [--date D] FILE...`."""
    return _guard(_import, args)


def run_lists_show(args: argparse.Namespace) -> int:
    """`dualcontrol lists show [--db PATH]`."""
    return _guard(_show, args)


def run_screen(args: argparse.Namespace) -> int:
    """`dualcontrol screen [--db PATH | --demo] [--threshold X] [--format F] NAME... | --batch`."""
    return _guard(_screen, args)


def _import(args: argparse.Namespace, out: TextIO) -> int:
    """`dualcontrol lists import`: import files as a snapshot and report what changed."""
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"error: no such file `{missing[0]}`", file=sys.stderr)
        return 2
    with ListStore.open(args.db) as store:
        report = store.import_files(
            args.list_format, args.files, dataset=args.dataset, list_date=args.list_date
        )
    out.write(_render_report(report))
    return 0


def _render_report(report: ImportReport) -> str:
    snap = report.snapshot
    if report.identical:
        return (
            f"dataset `{snap.dataset}`: content identical to current snapshot {snap.id} "
            f"({snap.entries} entries, {snap.digest}); nothing imported\n"
        )
    lines = [
        f"imported dataset `{snap.dataset}` as snapshot {snap.id}: {snap.entries} entries, "
        f"{snap.digest}",
        f"  {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged"
        + (f" since snapshot {report.previous.id}" if report.previous else " (first import)"),
    ]
    for label, ids in (("added", report.added), ("changed", report.changed)):
        if ids and report.previous is not None:
            lines.append(f"  {label}: {_some(ids)}")
    if report.removed:
        lines.append(f"  removed: {_some(report.removed)}")
    return "\n".join(lines) + "\n"


def _some(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else "")


def _show(args: argparse.Namespace, out: TextIO) -> int:
    """`dualcontrol lists show`: every snapshot in the store, the current ones marked."""
    with ListStore.open(args.db, create=False) as store:
        snapshots = store.snapshots()
        out.write(f"store: {store.path}\n")
    if not snapshots:
        out.write("no lists imported yet\n")
        return 0
    out.write(_table(snapshots))
    return 0


def _table(snapshots: Sequence[Snapshot]) -> str:
    head = (
        "dataset",
        "snapshot",
        "current",
        "format",
        "list date",
        "entries",
        "digest",
        "imported",
    )
    rows = [head] + [
        (
            s.dataset,
            str(s.id),
            "*" if s.current else "",
            s.format,
            s.list_date or "-",
            str(s.entries),
            s.digest[:19],
            s.imported_at,
        )
        for s in snapshots
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def _read_batch(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as error:
        msg = f"cannot read `{path}`: {error.strerror or error}"
        raise ScreeningError(msg) from error
    names: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as error:
            msg = f"{path}:{number}: not valid UTF-8"
            raise ScreeningError(msg) from error
        if line:
            names.append(line)
    return names


def _screen(args: argparse.Namespace, out: TextIO) -> int:
    """`dualcontrol screen`: screen names and print one result per name."""
    names = list(args.names)
    if args.batch is not None:
        names += _read_batch(args.batch)
    if not names:
        print("error: nothing to screen: give NAME... or --batch FILE", file=sys.stderr)
        return 2
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        print(f"error: threshold `{args.threshold}` is not between 0 and 1", file=sys.stderr)
        return 2
    if args.demo:
        screener = Screener.demo()
    else:
        with ListStore.open(args.db, create=False) as store:
            screener = Screener.from_store(store)
        if not screener.snapshots:
            msg = (
                f"no lists in the store `{store.path}`: import one with `dualcontrol lists import`"
            )
            raise ScreeningError(msg)
    for name in names:
        result = screener.screen(
            name,
            country=args.country,
            date_of_birth=args.date_of_birth,
            threshold=args.threshold,
        )
        if args.output == "json":
            out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        else:
            out.write(render_text(result))
    return 0


def render_text(result: ScreeningResult) -> str:
    """A screening result for people: hits with their tokens and adjustments."""
    lines = [f"{result.query}"]
    if not result.hits:
        lines.append("  no hits")
    for hit in result.hits:
        lines.extend(_hit_lines(hit))
    cited = "; ".join(
        f"{s.dataset} {s.digest[:19]} ({s.entries} entries)" for s in result.snapshots
    )
    lines.append(f"  screened against {cited or 'no lists'} with {result.algorithm}")
    return "\n".join(lines) + "\n"


def _hit_lines(hit: Hit) -> list[str]:
    verdict = "MATCH" if hit.match else "near"
    lines = [f"  {verdict:5} {hit.score:.3f}  {hit.list_code}  {hit.entry_id}  {hit.name}"]
    if hit.matched_name != hit.name:
        lines.append(f"        via {hit.matched_kind} `{hit.matched_name}`")
    tokens = ", ".join(
        f"{t.query or '-'}~{t.listed or '-'} ({t.how}"
        + (f" {t.similarity:.2f}" if t.how not in ("exact", "missing", "extra") else "")
        + ")"
        for t in hit.explanation.tokens
    )
    lines.append(f"        tokens: {tokens}")
    for adjustment in hit.explanation.adjustments:
        lines.append(f"        {adjustment.feature} {adjustment.effect:+.3f}: {adjustment.detail}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the screening commands alone (`python -m dualcontrol.screening.cli`)."""
    parser = argparse.ArgumentParser(prog="dualcontrol")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
