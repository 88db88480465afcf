"""The durable-rules adapter: one engine per compiled program, hardened against its defects.

It drives the C core (`durable_rules_engine`) directly, never `durable.lang` (global state) nor
`durable.engine.Host` (two timer threads per host, `datetime.utcfromtimestamp` in every action,
and `assert_facts` raising before any action when one fact matches nothing). What it contains,
each with a regression test:

- facts are asserted in one batch, in canonical order, serialised by one canonical writer
  (raw UTF-8, floats never in exponent form), with short sequential ids (`1`, `2`, ...) that
  cannot collide under the engine's 32-bit FNV-1a hash; an end marker is asserted last;
- a lowest-priority sentinel rule fires on the end marker: if it does not, facts were dropped
  and the evaluation fails; because it always fires, an action has run before `delete_state`
  (which crashes the process on a session where none did);
- one session at a time per engine (a lock), deleted after every evaluation, so the engine's
  1,024-session limit is never reached; any fault discards the whole engine ruleset and builds
  a fresh one;
- `in` lists become one durable rule per value, never `$or` (which fires once per true branch,
  and makes durable-rules ignore a join comparison that follows it); each (rule, facts) is
  recorded once;
- join comparisons other than equality are evaluated on each firing, never by durable-rules
  (a false one crashes it in some network shapes); equality joins stay in the engine;
- strings longer than the engine compares correctly are refused;
- a runaway evaluation is stopped after `MAX_FIRINGS`.

Any failure raises `EngineError`; the policy turns it into a `review` decision.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections.abc import Mapping

import durable_rules_engine

from .case import MAX_STRING_BYTES
from .compile import END_RULE, END_TYPE, CompiledRule, Program
from .errors import EngineError
from .facts import Fact, dump_json, encode, engine_value
from .run import MAX_FACTS, Firing, RunResult, check_limits, derive_fact
from .tree import Derive

__all__ = ["MAX_STRING_BYTES", "DurableEngine", "fnv1a_32"]

SESSION = "1"

_names = itertools.count(1)


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable-rules uses to identify facts and sessions (bytes are
    signed `char` in its C code, hence the sign extension)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte if byte < 0x80 else byte | 0xFFFFFF00
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def _delete(handle: list[int | None]) -> None:
    if handle[0] is not None:
        durable_rules_engine.delete_ruleset(handle[0])
        handle[0] = None


_SAFE_CHARS = MAX_STRING_BYTES // 4
"""A string this short cannot exceed `MAX_STRING_BYTES` in its JSON form (control characters,
the only ones escaped to more than two bytes, never reach the engine)."""


def _engine_fields(fact: Fact, used: Mapping[str, frozenset[str]]) -> dict[str, object]:
    """The fact as the engine gets it, without its session and id: only the fields some rule
    reads (see `Program.used_fields`)."""
    wanted = used.get(fact.type, frozenset())
    out: dict[str, object] = {"_t": fact.type}
    for name, value in fact.fields:
        if name not in wanted:
            continue
        if type(value) is float:
            out[name] = engine_value(value)
            continue
        if type(value) is str and len(value) > _SAFE_CHARS:
            _check_length(fact, name, value)
        out[name] = value
    return out


def _check_length(fact: Fact, name: str, value: str) -> None:
    size = len(value.encode("utf-8")) + value.count('"') + value.count("\\")
    if size > MAX_STRING_BYTES:
        msg = (
            f"fact `{fact.key}` field `{name}` is longer than the {MAX_STRING_BYTES} "
            "bytes the engine compares correctly"
        )
        raise EngineError(msg)


Fragments = dict[int, tuple[Fact, str]]
"""id(fact) -> (fact, its JSON without braces, session and id): the serialised rows of
tables, which recur in every evaluation."""


class DurableEngine:
    """A durable-rules ruleset for one program, evaluating one case at a time."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._rules: Mapping[str, CompiledRule] = program.by_name()
        self._definition = program.durable_definition()
        self._lock = threading.Lock()
        self._fragments: Fragments = {}
        self._handle: list[int | None] = [None]
        self._handle[0] = self._create()
        self._finalizer = weakref.finalize(self, _delete, self._handle)

    def _create(self) -> int:
        name = f"{self.program.ruleset.id}-{next(_names)}"
        try:
            handle: int = durable_rules_engine.create_ruleset(name, dump_json(self._definition))
        except durable_rules_engine.error as error:
            msg = f"durable-rules refused the ruleset: {error}"
            raise EngineError(msg) from None
        return handle

    def _rebuild(self) -> None:
        _delete(self._handle)
        self._handle[0] = self._create()

    def close(self) -> None:
        """Free the engine's ruleset now rather than when garbage collected."""
        with self._lock:
            self._finalizer()

    def run(self, facts: tuple[Fact, ...], shared: tuple[Fact, ...] = ()) -> RunResult:
        """Evaluate the program on `facts` and `shared` facts; `EngineError` on any engine
        fault. `shared` facts (table rows) recur across evaluations: their serialisation is
        kept."""
        with self._lock:
            if self._handle[0] is None:
                msg = "the engine is closed"
                raise EngineError(msg)
            handle = self._handle[0]
            session = _Session(self.program, self._rules, handle)
            healthy = False
            try:
                result = session.run(facts, shared, self._fragments)
                healthy = True
                return result
            except EngineError:
                raise
            except Exception as error:
                msg = f"durable-rules failed: {type(error).__name__}: {error}"
                raise EngineError(msg) from error
            finally:
                if healthy and session.acted:
                    durable_rules_engine.delete_state(handle, SESSION)
                else:
                    self._rebuild()


class _Session:
    """One evaluation: assert, drain the agenda, record firings."""

    def __init__(self, program: Program, rules: Mapping[str, CompiledRule], handle: int) -> None:
        self.rules = rules
        self.used = program.used_fields
        self.handle = handle
        self.known: dict[str, Fact] = {}
        self.by_engine_id: dict[str, str] = {}
        self.next_id = 1
        self.fired: dict[tuple[int, tuple[tuple[str, str], ...]], Firing] = {}
        self.acted = False

    def register(self, fact: Fact) -> str:
        """Give `fact` the next engine id."""
        if self.next_id > MAX_FACTS:
            msg = f"evaluation stopped: more than {MAX_FACTS} facts"
            raise EngineError(msg)
        engine_id = str(self.next_id)
        self.next_id += 1
        self.by_engine_id[engine_id] = fact.key
        self.known[fact.key] = fact
        return engine_id

    def engine_fact(self, fact: Fact) -> dict[str, object]:
        engine_id = self.register(fact)
        return {"sid": SESSION, "id": engine_id, **_engine_fields(fact, self.used)}

    def batch(self, facts: tuple[Fact, ...], shared: tuple[Fact, ...], fragments: Fragments) -> str:
        """The JSON array of every fact, then the end marker."""
        own = [self.engine_fact(f) for f in facts if f.key not in self.known]
        pieces = [encode(own)[1:-1]] if own else []
        for fact in shared:
            if fact.key in self.known:
                continue
            engine_id = self.register(fact)
            cached = fragments.get(id(fact))
            if cached is None or cached[0] is not fact:
                cached = (fact, encode(_engine_fields(fact, self.used))[1:])
                fragments[id(fact)] = cached
            pieces.append(f'{{"sid":"{SESSION}","id":"{engine_id}",{cached[1]}')
        end_id = str(self.next_id)
        self.next_id += 1
        pieces.append(f'{{"sid":"{SESSION}","id":"{end_id}","_t":"{END_TYPE}"}}')
        return "[" + ",".join(pieces) + "]"

    def run(
        self, facts: tuple[Fact, ...], shared: tuple[Fact, ...], fragments: Fragments
    ) -> RunResult:
        text = self.batch(facts, shared, fragments)
        code, state = durable_rules_engine.assert_facts(self.handle, text)
        if code not in (0, 1):
            msg = f"durable-rules rejected the facts (code {code})"
            raise EngineError(msg)
        started = durable_rules_engine.start_action_for_state(self.handle, state)
        message: str | None = started[1] if started else None
        ended = False
        while message:
            self.acted = True
            ((name, bound),) = json.loads(message).items()
            if name == END_RULE:
                ended = True
            elif ended:
                msg = f"rule `{name}` fired after the end marker"
                raise EngineError(msg)
            else:
                self.fire(self.rules[name], bound)
            message = durable_rules_engine.complete_and_start_action(self.handle, state)
        if not ended:
            msg = "the end marker never fired: the engine dropped facts"
            raise EngineError(msg)
        return RunResult(dict(self.known), tuple(sorted(self.fired.values())))

    def fire(self, rule: CompiledRule, bound: Mapping[str, Mapping[str, object]]) -> None:
        binding: dict[str, Fact] = {}
        for pattern in rule.patterns:
            engine_id = bound[pattern.durable_alias]["id"]
            binding[pattern.pattern.alias] = self.known[self.by_engine_id[str(engine_id)]]
        signature = tuple((alias, fact.key) for alias, fact in binding.items())
        if (rule.index, signature) in self.fired or not rule.accepts(binding):
            return
        derived = None
        if isinstance(rule.rule.action, Derive):
            fact = derive_fact(rule.rule.action, binding)
            derived = fact.key
            if fact.key not in self.known:
                payload = self.engine_fact(fact)
                code, _ = durable_rules_engine.assert_fact(self.handle, encode(payload))
                if code not in (0, 1):
                    msg = f"durable-rules rejected derived fact `{fact.key}` (code {code})"
                    raise EngineError(msg)
        self.fired[(rule.index, signature)] = Firing(rule.index, rule.rule.id, signature, derived)
        check_limits(self.known, len(self.fired))
