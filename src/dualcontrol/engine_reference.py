"""The reference evaluator: the compiled rules run by plain Python, naively and obviously.

It computes the least fixpoint of the rules over the facts: every rule is matched against
every combination of facts (each alias a distinct fact) until no firing is new. It is the
executable statement of the semantics that the durable-rules adapter must reproduce; the
differential tests compare the two.
"""

from __future__ import annotations

from collections.abc import Iterator

from .compile import CompiledPattern, CompiledRule, Program
from .facts import Fact
from .run import Firing, RunResult, check_limits, derive_fact
from .tree import Derive

__all__ = ["matches", "run_reference"]


def matches(rule: CompiledRule, by_type: dict[str, list[Fact]]) -> Iterator[dict[str, Fact]]:
    """Every binding of `rule`'s patterns to distinct facts that satisfies all conditions."""

    def extend(
        patterns: tuple[CompiledPattern, ...], bound: dict[str, Fact]
    ) -> Iterator[dict[str, Fact]]:
        if not patterns:
            yield dict(bound)
            return
        first, rest = patterns[0], patterns[1:]
        used = {fact.key for fact in bound.values()}
        for fact in by_type.get(first.pattern.fact_type, ()):
            if fact.key in used or not first.test(fact, bound):
                continue
            bound[first.pattern.alias] = fact
            yield from extend(rest, bound)
            del bound[first.pattern.alias]

    yield from extend(rule.patterns, {})


def run_reference(program: Program, facts: tuple[Fact, ...]) -> RunResult:
    """Evaluate `program` on `facts` to a fixpoint."""
    known: dict[str, Fact] = {fact.key: fact for fact in facts}
    by_type: dict[str, list[Fact]] = {}
    for fact in sorted(known.values(), key=lambda f: f.key):
        by_type.setdefault(fact.type, []).append(fact)
    fired: dict[tuple[int, tuple[tuple[str, str], ...]], Firing] = {}
    changed = True
    while changed:
        changed = False
        for rule in program.rules:
            for binding in list(matches(rule, by_type)):
                signature = tuple(
                    (p.pattern.alias, binding[p.pattern.alias].key) for p in rule.patterns
                )
                if (rule.index, signature) in fired:
                    continue
                derived = None
                if isinstance(rule.rule.action, Derive):
                    fact = derive_fact(rule.rule.action, binding)
                    derived = fact.key
                    if fact.key not in known:
                        known[fact.key] = fact
                        by_type.setdefault(fact.type, []).append(fact)
                fired[(rule.index, signature)] = Firing(
                    rule.index, rule.rule.id, signature, derived
                )
                changed = True
                check_limits(known, len(fired))
    return RunResult(known, tuple(sorted(fired.values())))
