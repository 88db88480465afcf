"""The policy: loaded rulesets with their engines, deciding cases.

A `Policy` owns everything it needs (no global state): its checked rulesets and, per ruleset
and set of rules in force, a compiled program with its own durable-rules engine. It is
thread-safe; the engine's C core holds the interpreter lock, so scale with processes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from .case import Case, parse_case
from .compile import Program, compile_program
from .decide import Decision, OpenItem, RulesetRun, decide
from .engine_durable import DurableEngine
from .engine_isolated import DEFAULT_TIMEOUT, IsolatedEngine
from .engine_reference import run_reference
from .errors import EngineError, Problem, RulesetError
from .facts import case_facts
from .load import problem_at
from .party_screening import screen_case
from .rulesets import load_ruleset, shipped_rulesets
from .run import ENGINES, RunResult, TableIndex, table_facts
from .screening import Screener
from .tree import Ruleset

__all__ = ["Policy"]

MAX_PROGRAMS = 64

_Engine = DurableEngine | IsolatedEngine
"""Compiled variants (sets of rules in force) kept per policy."""


class Policy:
    """Rulesets ready to decide cases.

    With `applicable_only` (the default rulesets), a ruleset is used only for cases exported
    from one of the countries its `applies_to` names; a ruleset naming none is used only when
    asked for. Otherwise every ruleset is used.
    """

    def __init__(
        self,
        rulesets: Sequence[Ruleset],
        *,
        applicable_only: bool = False,
        screener: Screener | None = None,
        screening_threshold: float | None = None,
        isolate: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        ids = [r.id for r in rulesets]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RulesetError([Problem(f"ruleset `{duplicates[0]}` is given more than once")])
        self.rulesets: tuple[Ruleset, ...] = tuple(rulesets)
        self.applicable_only = applicable_only
        self.screener = screener
        self.screening_threshold = screening_threshold
        self.isolate = isolate
        self.timeout = timeout
        self._lock = threading.Lock()
        self._programs: dict[tuple[str, frozenset[int]], tuple[Program, _Engine | None]] = {}
        self._in_force: dict[tuple[str, dt.date], frozenset[int]] = {}
        self._tables = {r.id: tuple(TableIndex(t) for t in r.tables) for r in self.rulesets}
        for ruleset in self.rulesets:
            _verify_with_engine(ruleset)

    @classmethod
    def load(
        cls,
        specs: Iterable[str | Path] | None = None,
        *,
        screener: Screener | None = None,
        screening_threshold: float | None = None,
        isolate: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Policy:
        """Load rulesets by shipped id or directory; without `specs`, every shipped ruleset,
        each used only for the exporter countries it applies to. With a `screener`, every
        party of every case is screened against its lists before the rules run. With
        `isolate`, the durable engine runs in a worker process: a crash or an evaluation
        longer than `timeout` seconds gives `review` instead of ending the caller."""
        if specs is None:
            rulesets = [load_ruleset(name) for name in shipped_rulesets()]
        else:
            rulesets = [load_ruleset(spec) for spec in specs]
        return cls(
            rulesets,
            applicable_only=specs is None,
            screener=screener,
            screening_threshold=screening_threshold,
            isolate=isolate,
            timeout=timeout,
        )

    def close(self) -> None:
        """Free the engines now (they are freed on garbage collection otherwise)."""
        with self._lock:
            for _, engine in self._programs.values():
                if engine is not None:
                    engine.close()
            self._programs.clear()

    def applicable(self, case: Case) -> tuple[Ruleset, ...]:
        """The rulesets this policy uses for `case`."""
        if not self.applicable_only:
            return self.rulesets
        return tuple(r for r in self.rulesets if case.exporter.country in r.exporter_countries)

    def _program(
        self, ruleset: Ruleset, day: dt.date, engine: str
    ) -> tuple[Program, _Engine | None]:
        in_force = self._in_force.get((ruleset.id, day))
        if in_force is None:
            in_force = frozenset(i for i, rule in enumerate(ruleset.rules) if rule.in_force(day))
            if len(self._in_force) < 4096:
                self._in_force[(ruleset.id, day)] = in_force
        key = (ruleset.id, in_force)

        def usable(found: tuple[Program, _Engine | None] | None) -> bool:
            return found is not None and (engine == "reference" or found[1] is not None)

        with self._lock:
            found = self._programs.get(key)
        if found is not None and usable(found):
            return found
        program = found[0] if found is not None else compile_program(ruleset, day)
        durable: _Engine | None = None
        if engine == "durable":
            durable = (
                IsolatedEngine(ruleset, day, timeout=self.timeout)
                if self.isolate
                else DurableEngine(program)
            )
        with self._lock:
            found = self._programs.get(key)
            if found is not None and usable(found):
                if durable is not None:
                    durable.close()
                return found
            if found is None and len(self._programs) >= MAX_PROGRAMS:
                _, (_, old) = self._programs.popitem()
                if old is not None:
                    old.close()
            self._programs[key] = (program, durable)
        return program, durable

    def _run(self, ruleset: Ruleset, case: Case, as_of: dt.date, engine: str) -> RulesetRun:
        try:
            program, durable = self._program(ruleset, as_of, engine)
            facts = case_facts(case, as_of)
            rows = program.relevant(table_facts(self._tables[ruleset.id], facts))
            facts = program.relevant(facts)
            result: RunResult = (
                run_reference(program, facts + rows)
                if durable is None
                else durable.run(facts, rows)
            )
            return RulesetRun(ruleset, result)
        except EngineError as error:
            return RulesetRun(ruleset, None, str(error))
        except Exception as error:
            return RulesetRun(ruleset, None, f"{type(error).__name__}: {error}")

    def check(
        self,
        case: Case | Mapping[str, Any] | str | bytes,
        *,
        as_of: dt.date | None = None,
        engine: str = "durable",
    ) -> Decision:
        """Decide `case` (a `Case`, or JSON text or data to validate first).

        `as_of` (default: the case's date) selects the rules in force. Invalid input raises
        `CaseError`; an engine fault never raises: it yields `review` with the fault.
        """
        if engine not in ENGINES:
            msg = f"unknown engine `{engine}`: choose one of {', '.join(ENGINES)}"
            raise ValueError(msg)
        if not isinstance(case, Case):
            case = parse_case(case)
        record = None
        if self.screener is not None:
            case, record = screen_case(case, self.screener, self.screening_threshold)
        day = as_of or case.date
        rulesets = self.applicable(case)
        runs = [self._run(ruleset, case, day, engine) for ruleset in rulesets]
        extra: list[OpenItem] = []
        if not rulesets:
            question = f"no ruleset applies to exports from `{case.exporter.country}`: choose one"
            extra.append(OpenItem(None, question, ("dualcontrol/no-ruleset",)))
        item_ids = tuple(item.id for item in case.items)
        return decide(case.id, item_ids, day, runs, extra, record)


def _verify_with_engine(ruleset: Ruleset) -> None:
    """Refuse, at load time, a ruleset durable-rules cannot build, naming the rules at fault."""
    all_rules = compile_program(_all_in_force(ruleset), dt.date.min)
    try:
        DurableEngine(all_rules).close()
        return
    except EngineError as error:
        message = str(error)
    problems = []
    for compiled in all_rules.rules:
        single = Program(ruleset, dt.date.min, (compiled,))
        try:
            DurableEngine(single).close()
        except EngineError as error:
            problems.append(
                problem_at(compiled.rule.location, f"rule `{compiled.rule.id}`: {error}")
            )
    if not problems:
        problems.append(Problem(f"ruleset `{ruleset.id}`: {message}", file=ruleset.path))
    raise RulesetError(problems)


def _all_in_force(ruleset: Ruleset) -> Ruleset:
    rules = tuple(
        attrs.evolve(r, effective=None, expires=None, suspended=()) for r in ruleset.rules
    )
    return attrs.evolve(ruleset, rules=rules)
