"""Compile: render the checked rule tree for the two engines.

A `Program` is the rules of one ruleset in force on one day, rendered twice with the same
semantics: as a durable-rules ruleset (plain JSON-able dicts) and as Python predicates for the
reference evaluator. The semantics, shared by both:

- every pattern carries a type guard on `_t`, so it matches only facts of its type (and never
  the engine's own state fact);
- a condition on a missing field is false, except `exists: false`; `!=` and `not in` need the
  field present;
- a reference compares with a field of a fact bound by an earlier pattern;
- each alias binds a distinct fact; a rule fires once per distinct tuple of bound facts.

Only type-homogeneous comparisons reach here (the checker refuses the others). A sentinel rule
with the lowest priority fires on the end-marker fact asserted last: it proves the agenda
drained and guarantees an action ran before the session is deleted.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Mapping

import attrs

from . import safe_regex
from .facts import Fact
from .tree import Condition, Literal, Op, Pattern, Ref, Rule, Ruleset

__all__ = [
    "END_TYPE",
    "Matcher",
    "Program",
    "compile_program",
    "durable_condition",
    "python_condition",
    "variant_count",
    "variants",
]

END_TYPE = "__end__"
"""Fact type of the end marker the sentinel rule waits for."""

END_RULE = "__end__"
RULE_PRIORITY = 1
END_PRIORITY = 65_535
"""durable-rules fires the lowest `pri` first; `pri` is an unsigned short."""

Bindings = Mapping[str, Fact]
Matcher = Callable[[Fact, Bindings], bool]


@attrs.frozen
class CompiledPattern:
    """A pattern with its Python predicate (all conditions) and durable alias."""

    pattern: Pattern
    durable_alias: str
    test: Matcher


@attrs.frozen
class CompiledRule:
    """A rule, its index in the program, and its rendering for both engines."""

    rule: Rule
    index: int
    name: str
    patterns: tuple[CompiledPattern, ...]
    durable: tuple[tuple[str, dict[str, object]], ...]
    """(durable rule name, definition) of each variant: one per combination of `in` values."""
    checks: tuple[tuple[str, Matcher], ...] = ()
    """(alias, test) of the join comparisons other than equality, which the durable adapter
    evaluates on each firing instead of giving them to durable-rules."""

    def accepts(self, bindings: Bindings) -> bool:
        """Whether a durable firing with these bound facts passes the checks left to Python."""
        return all(test(bindings[alias], bindings) for alias, test in self.checks)


@attrs.frozen
class Program:
    """The rules of `ruleset` in force on `day`, ready for either engine."""

    ruleset: Ruleset
    day: dt.date
    rules: tuple[CompiledRule, ...]

    @functools.cached_property
    def _relevant(self) -> tuple[frozenset[str], frozenset[str] | None]:
        types = frozenset(p.fact_type for r in self.rules for p in r.rule.patterns)
        tables: set[str] = set()
        for compiled in self.rules:
            for pattern in compiled.rule.patterns:
                if pattern.fact_type != "missing":
                    continue
                named = [
                    c.value
                    for c in pattern.conditions
                    if c.field == "table" and c.op is Op.EQ and isinstance(c.value, str)
                ]
                if not named:
                    return types, None
                tables.update(named)
        return types, frozenset(tables)

    def relevant(self, facts: tuple[Fact, ...]) -> tuple[Fact, ...]:
        """The facts some pattern could match: a fact of a type no rule names, or a `missing`
        fact about a table no rule asks about, cannot change what fires."""
        types, tables = self._relevant
        return tuple(
            f
            for f in facts
            if f.type in types
            and (f.type != "missing" or tables is None or f.get("table") in tables)
        )

    @functools.cached_property
    def used_fields(self) -> Mapping[str, frozenset[str]]:
        """Fact type -> the fields some rule tests or joins on. Other fields cannot change
        what matches, so the engine is not given them."""
        used: dict[str, set[str]] = {}
        for compiled in self.rules:
            types = {p.alias: p.fact_type for p in compiled.rule.patterns}
            for pattern in compiled.rule.patterns:
                fields = used.setdefault(pattern.fact_type, set())
                for condition in pattern.conditions:
                    fields.add(condition.field)
                    if isinstance(condition.value, Ref):
                        used.setdefault(types[condition.value.alias], set()).add(
                            condition.value.field
                        )
        return {name: frozenset(fields) for name, fields in used.items()}

    def durable_definition(self) -> dict[str, object]:
        """The durable-rules ruleset definition: every variant of every rule, then the sentinel."""
        definition: dict[str, object] = {
            name: variant for r in self.rules for name, variant in r.durable
        }
        definition[END_RULE] = {
            "all": [{"e": {"_t": END_TYPE}}],
            "pri": END_PRIORITY,
        }
        return definition

    def by_name(self) -> dict[str, CompiledRule]:
        """Durable rule name (of every variant) -> compiled rule."""
        return {name: r for r in self.rules for name, _ in r.durable}


def _operand(value: Literal | Ref, aliases: Mapping[str, str]) -> object:
    if isinstance(value, Ref):
        return {aliases[value.alias]: value.field}
    return value


def in_engine(condition: Condition) -> bool:
    """Whether durable-rules evaluates `condition`. A join comparison other than equality is
    evaluated by the adapter on the firing instead: durable-rules crashes (a segmentation
    fault) when such a comparison is the only join test of a pattern and is false, and in other
    network shapes too."""
    return not (isinstance(condition.value, Ref) and condition.op is not Op.EQ)


def durable_condition(condition: Condition, aliases: Mapping[str, str]) -> list[dict[str, object]]:
    """The durable-rules expressions (to be joined with `$and`) for one condition."""
    field, op, value = condition.field, condition.op, condition.value
    if op is Op.EXISTS:
        return [{"$ex" if value else "$nex": {field: 1}}]
    if op is Op.IN:
        assert isinstance(value, tuple) and len(value) == 1, "`in` is expanded into variants"
        return [{field: value[0]}]
    if op is Op.NOT_IN:
        assert isinstance(value, tuple)
        return [{"$neq": {field: v}} for v in value]
    if op is Op.CONTAINS:
        assert isinstance(value, str)
        return [{"$mt": {field: f".*{safe_regex.escape_durable(value)}.*"}}]
    if op is Op.MATCHES:
        assert isinstance(value, str)
        return [{"$mt": {field: safe_regex.parse(value).durable}}]
    assert not isinstance(value, tuple)
    operand = _operand(value, aliases)
    if op is Op.EQ:
        return [{field: operand}]
    keyword = {Op.NE: "$neq", Op.LT: "$lt", Op.LE: "$lte", Op.GT: "$gt", Op.GE: "$gte"}[op]
    return [{keyword: {field: operand}}]


def python_condition(condition: Condition) -> Matcher:
    """A Python predicate with the same meaning as `durable_condition`."""
    field, op, value = condition.field, condition.op, condition.value

    if op is Op.EXISTS:
        wanted = bool(value)
        return lambda fact, _: (fact.get(field) is not None) == wanted
    if op in (Op.IN, Op.NOT_IN):
        assert isinstance(value, tuple)
        members = frozenset(value)
        inside = op is Op.IN

        def member(fact: Fact, _: Bindings) -> bool:
            found = fact.get(field)
            return found is not None and (found in members) == inside

        return member
    if op is Op.CONTAINS:
        assert isinstance(value, str)
        text = value
        return lambda fact, _: isinstance(v := fact.get(field), str) and text in v
    if op is Op.MATCHES:
        assert isinstance(value, str)
        regex = safe_regex.parse(value).python
        return lambda fact, _: isinstance(v := fact.get(field), str) and bool(regex.fullmatch(v))
    compare = _COMPARE[op]
    if isinstance(value, Ref):
        ref = value

        def joined(fact: Fact, bindings: Bindings) -> bool:
            left = fact.get(field)
            right = bindings[ref.alias].get(ref.field)
            return left is not None and right is not None and compare(left, right)

        return joined
    assert not isinstance(value, tuple)
    constant = value
    return lambda fact, _: (left := fact.get(field)) is not None and compare(left, constant)


_COMPARE: Mapping[Op, Callable[[object, object], bool]] = {
    Op.EQ: lambda a, b: a == b,
    Op.NE: lambda a, b: a != b,
    Op.LT: lambda a, b: a < b,  # type: ignore[operator]
    Op.LE: lambda a, b: a <= b,  # type: ignore[operator]
    Op.GT: lambda a, b: a > b,  # type: ignore[operator]
    Op.GE: lambda a, b: a >= b,  # type: ignore[operator]
}


def _pattern_test(pattern: Pattern) -> Matcher:
    tests = tuple(python_condition(c) for c in pattern.conditions)
    fact_type = pattern.fact_type

    def test(fact: Fact, bindings: Bindings) -> bool:
        return fact.type == fact_type and all(t(fact, bindings) for t in tests)

    return test


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_]")


def _joined_fields(rule: Rule) -> dict[str, set[str]]:
    """alias -> fields a reference reads on either side of a join.

    durable-rules fails a whole assertion (error 311) when a join reads a field a fact lacks,
    so each pattern also requires the fields its joins read. This keeps the semantics: such a
    binding could never satisfy the join anyway."""
    needed: dict[str, set[str]] = {p.alias: set() for p in rule.patterns}
    for pattern in rule.patterns:
        for condition in pattern.conditions:
            if isinstance(condition.value, Ref):
                needed[pattern.alias].add(condition.field)
                needed[condition.value.alias].add(condition.value.field)
    return needed


def variant_count(rule: Rule) -> int:
    """How many durable rules `rule` compiles to (see `variants`)."""
    count = 1
    for pattern in rule.patterns:
        for condition in pattern.conditions:
            if condition.op is Op.IN and isinstance(condition.value, tuple):
                count *= len(condition.value)
    return count


def variants(rule: Rule) -> list[dict[tuple[int, int], Literal]]:
    """Every choice of one value per multi-valued `in` condition, keyed by (pattern, condition).

    durable-rules mishandles `$or`: it fires once per true branch, and it ignores a join
    comparison that follows an `$or` in the same pattern. So `in` is never compiled to `$or`:
    a rule becomes one durable rule per combination of its `in` values, each firing recorded
    under the one rule (the branches are exclusive, so each tuple of facts still fires once)."""
    choices: list[list[tuple[tuple[int, int], Literal]]] = []
    for p, pattern in enumerate(rule.patterns):
        for c, condition in enumerate(pattern.conditions):
            multiple = isinstance(condition.value, tuple) and len(condition.value) > 1
            if condition.op is Op.IN and multiple:
                assert isinstance(condition.value, tuple)
                choices.append([((p, c), v) for v in condition.value])
    return [dict(combination) for combination in itertools.product(*choices)]


def _compile_rule(rule: Rule, index: int) -> CompiledRule:
    aliases = {p.alias: f"a{i}" for i, p in enumerate(rule.patterns)}
    needed = _joined_fields(rule)
    patterns = tuple(
        CompiledPattern(pattern, aliases[pattern.alias], _pattern_test(pattern))
        for pattern in rule.patterns
    )
    base = f"r{index}_{_SAFE_NAME.sub('_', rule.id)}"[:90]
    rendered = []
    chosen = variants(rule)
    for number, choice in enumerate(chosen):
        durable_patterns = []
        for p, pattern in enumerate(rule.patterns):
            expressions: list[dict[str, object]] = [{"_t": pattern.fact_type}]
            expressions.extend({"$ex": {field: 1}} for field in sorted(needed[pattern.alias]))
            for c, condition in enumerate(pattern.conditions):
                if not in_engine(condition):
                    continue
                picked = condition
                if (p, c) in choice:
                    picked = attrs.evolve(condition, value=(choice[(p, c)],))
                expressions.extend(durable_condition(picked, aliases))
            durable_patterns.append({aliases[pattern.alias]: {"$and": expressions}})
        name = base if len(chosen) == 1 else f"{base}_v{number}"
        rendered.append((name, {"all": durable_patterns, "pri": RULE_PRIORITY}))
    checks = tuple(
        (pattern.alias, python_condition(condition))
        for pattern in rule.patterns
        for condition in pattern.conditions
        if not in_engine(condition)
    )
    return CompiledRule(rule, index, base, patterns, tuple(rendered), checks)


def compile_program(ruleset: Ruleset, day: dt.date) -> Program:
    """The rules of `ruleset` in force on `day`, compiled for both engines."""
    rules = tuple(
        _compile_rule(rule, index) for index, rule in enumerate(ruleset.rules) if rule.in_force(day)
    )
    return Program(ruleset, day, rules)
