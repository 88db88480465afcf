"""The `dualcontrol` command line: a thin layer over the public API.

Exit codes: 0 a decision was made (whatever its outcome); 2 invalid input (case or ruleset),
with a message on stderr naming the file and the path; 1 an internal error; 3 (`test` only)
a golden case failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .case import load_json
from .case_schema import case_schema
from .engine_isolated import DEFAULT_TIMEOUT
from .errors import CaseError, DualcontrolError, RulesetError
from .explain import FORMATS, render, to_json, why_not
from .golden import run_goldens
from .policy import Policy
from .rulesets import load_ruleset, shipped_rulesets
from .run import ENGINES
from .screening import ListStore, Screener, default_db_path
from .screening.cli import register as register_screening

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID, EXIT_FAILED = 0, 1, 2, 3


class _UsageError(DualcontrolError):
    """Bad command-line usage, reported like invalid input."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"`{text}` is not a date (YYYY-MM-DD)"
        raise argparse.ArgumentTypeError(msg) from None


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        msg = f"{source}: cannot read: {error}"
        raise _UsageError(msg) from None


def _screener(args: argparse.Namespace) -> Screener | None:
    """The screener `check` uses: the demo list, a list store given with `--lists`, or the
    store at the default location when one exists; none with `--no-screening`."""
    if getattr(args, "no_screening", False):
        return None
    if getattr(args, "demo_lists", False):
        return Screener.demo()
    path = getattr(args, "lists", None)
    if path is None:
        default = default_db_path()
        if not default.is_file():
            return None
        path = default
    if not Path(path).is_file():
        msg = f"{path}: no list store there (create one with `dualcontrol lists import`)"
        raise _UsageError(msg)
    with ListStore.open(path, create=False) as store:
        return Screener.from_store(store)


def _policy(args: argparse.Namespace) -> Policy:
    return Policy.load(
        args.ruleset or None,
        screener=_screener(args),
        screening_threshold=getattr(args, "threshold", None),
        isolate=getattr(args, "isolate", False),
        timeout=getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
    )


def _prefixed(error: DualcontrolError, source: str) -> str:
    if isinstance(error, CaseError):
        return "\n".join(f"{source}: {p}" for p in error.problems)
    return str(error)


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`dualcontrol check`: decide one case, or a batch of cases (one per line)."""
    policy = _policy(args)
    if args.batch:
        return _check_batch(policy, args, out, err)
    if args.case is None:
        msg = "give a case file (or `-` for stdin), or --batch FILE"
        raise _UsageError(msg)
    text = _read(args.case)
    try:
        decision = policy.check(text, as_of=args.as_of, engine=args.engine)
    except CaseError as error:
        err.write(f"dualcontrol: invalid case:\n{_prefixed(error, args.case)}\n")
        return EXIT_INVALID
    out.write(render(decision, args.format))
    if args.format == "json":
        out.write("\n")
    for rule in args.why_not or ():
        try:
            answer = why_not(decision, rule)
        except KeyError as error:
            err.write(f"dualcontrol: {error.args[0]}\n")
            return EXIT_INVALID
        out.write(f"why not {answer.rule}: {answer.reason}\n")
    return EXIT_OK


def _check_batch(policy: Policy, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.format != "json":
        msg = "--batch writes JSON lines: use --format json"
        raise _UsageError(msg)
    status = EXIT_OK
    text = _read(args.batch)
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        case_id: object = None
        try:
            data = load_json(raw)
            if isinstance(data, dict):
                case_id = data.get("id") if isinstance(data.get("id"), str) else None
            decision = policy.check(
                data if isinstance(data, dict) else raw, as_of=args.as_of, engine=args.engine
            )
            out.write(to_json(decision, indent=None) + "\n")
        except CaseError as error:
            status = EXIT_INVALID
            problems = [str(p) for p in error.problems]
            record = {
                "case": case_id,
                "line": number,
                "error": "invalid case",
                "problems": problems,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            err.write(f"dualcontrol: {args.batch}:{number}: invalid case: {'; '.join(problems)}\n")
    return status


def run_rulesets(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`dualcontrol rulesets`: list the shipped rulesets with edition and digest."""
    rows = []
    for name in shipped_rulesets():
        ruleset = load_ruleset(name)
        rows.append(
            {
                "id": ruleset.id,
                "title": ruleset.title,
                "jurisdiction": ruleset.jurisdiction,
                "edition": ruleset.edition.isoformat(),
                "digest": ruleset.digest,
                "rules": len(ruleset.rules),
                "tables": len(ruleset.tables),
                "exporter_countries": list(ruleset.exporter_countries),
            }
        )
    if args.format == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for row in rows:
        applies = ", ".join(row["exporter_countries"]) or "any exporter"  # type: ignore[arg-type]
        out.write(
            f"{row['id']}  edition {row['edition']}  {row['rules']} rules, {row['tables']} tables"
            f"  ({applies})\n  {row['title']}\n  {row['digest']}\n"
        )
    return EXIT_OK


def run_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`dualcontrol schema case`: print the JSON Schema of the case contract."""
    out.write(json.dumps(case_schema(), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def run_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`dualcontrol test`: decide golden cases and compare with their expectations."""
    policy = _policy(args)
    report = run_goldens(policy, [Path(p) for p in args.paths], engine=args.engine)
    for result in report.results:
        if result.failures:
            out.write(f"FAIL {result.golden.path}\n")
            for failure in result.failures:
                out.write(f"  {failure}\n")
        elif args.verbose:
            out.write(f"ok   {result.golden.path}\n")
    failed = sum(1 for r in report.results if r.failures)
    out.write(f"{len(report.results) - failed} passed, {failed} failed\n")
    if report.unfired:
        out.write(f"rules no golden case made fire ({len(report.unfired)}):\n")
        for rule in report.unfired:
            out.write(f"  {rule}\n")
    return EXIT_OK if report.passed else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dualcontrol",
        description="Explainable export-control decisions for dual-use items.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="decide a case (or a batch of cases)")
    check.add_argument("case", nargs="?", help="case JSON file, or - for stdin")
    check.add_argument("--batch", metavar="FILE", help="JSON lines file: one case per line")
    check.add_argument(
        "--ruleset",
        action="append",
        metavar="ID|PATH",
        help="ruleset to use (repeatable); default: every shipped ruleset that applies",
    )
    check.add_argument("--as-of", type=_date, metavar="DATE", help="decide as of this date")
    check.add_argument("--format", choices=FORMATS, default="json")
    check.add_argument("--engine", choices=ENGINES, default="durable")
    check.add_argument(
        "--why-not", action="append", metavar="RULE", help="explain why RULE did not fire"
    )
    screening = check.add_mutually_exclusive_group()
    screening.add_argument(
        "--lists",
        type=Path,
        metavar="DB",
        help="screen every party against this list store (default: the store at "
        "the default location, when there is one)",
    )
    screening.add_argument(
        "--demo-lists", action="store_true", help="screen against the demo list shipped with us"
    )
    screening.add_argument("--no-screening", action="store_true", help="do not screen the parties")
    check.add_argument("--threshold", type=float, help="screening score for a match, 0..1")
    check.add_argument(
        "--isolate",
        action="store_true",
        help="run the engine in a worker process: a crash or a hang gives review",
    )
    check.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="with --isolate: time limit per case"
    )
    check.set_defaults(handler=run_check)

    rulesets = commands.add_parser("rulesets", help="list the shipped rulesets")
    rulesets.add_argument("--format", choices=("text", "json"), default="text")
    rulesets.set_defaults(handler=run_rulesets)

    test = commands.add_parser("test", help="run golden cases (YAML) against rulesets")
    test.add_argument("paths", nargs="+", metavar="PATH", help="golden files or directories")
    test.add_argument("--ruleset", action="append", metavar="ID|PATH")
    test.add_argument("--engine", choices=ENGINES, default="durable")
    test.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    test.set_defaults(handler=run_test)

    schema = commands.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("which", choices=("case",))
    schema.set_defaults(handler=run_schema)

    register_screening(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if hasattr(args, "func"):
            screening_code: int = args.func(args)
            return screening_code
        code: int = args.handler(args, out, err)
    except RulesetError as error:
        err.write(f"dualcontrol: {error}\n")
        return EXIT_INVALID
    except DualcontrolError as error:
        err.write(f"dualcontrol: error: {error}\n")
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        err.write(f"dualcontrol: internal error: {type(error).__name__}: {error}\n")
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":
    raise SystemExit(main())
