"""Run: evaluate a compiled program on a case's facts, with either engine.

Both engines return the same `RunResult`: every fact (input, table, derived) and the set of
firings in canonical order. A firing is a rule with the facts its patterns bound; a derived
fact is identified by its content, so two engines (or two firings) deriving the same content
produce one fact with several supports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from .errors import EngineError
from .facts import Fact, derived_key
from .tree import Derive, Literal, Ref, Table

__all__ = [
    "ENGINES",
    "MAX_FACTS",
    "MAX_FIRINGS",
    "Firing",
    "RunResult",
    "TableIndex",
    "check_limits",
    "derive_fact",
    "table_facts",
]

ENGINES = ("durable", "reference")

MAX_FIRINGS = 20_000
"""Firings allowed in one evaluation before it is stopped as a runaway (then: `review`)."""

MAX_FACTS = 100_000
"""Facts allowed in one evaluation. durable-rules identifies a fact by a 32-bit FNV-1a hash
of its id; the ids `1` to `797185` hash without collision, so engine ids stay in that range."""


@attrs.frozen(order=True)
class Firing:
    """A rule fired on a tuple of facts (one per pattern, in pattern order).

    `derived` is the key of the fact its `derive` action produced (new or already known).
    """

    rule_index: int
    rule_id: str
    bindings: tuple[tuple[str, str], ...]
    derived: str | None = None

    def fact_keys(self) -> tuple[str, ...]:
        """Keys of the bound facts, in pattern order."""
        return tuple(key for _, key in self.bindings)


@attrs.frozen
class RunResult:
    """Every fact of the evaluation and the firings, in canonical order."""

    facts: Mapping[str, Fact]
    firings: tuple[Firing, ...]


def derive_fact(action: Derive, bindings: Mapping[str, Fact]) -> Fact:
    """The fact a `derive` action produces from the facts bound by its rule.

    A reference to a field the bound fact lacks leaves that field out.
    """
    fields: list[tuple[str, Literal]] = []
    for name, value in action.fields:
        if isinstance(value, Ref):
            found = bindings[value.alias].get(value.field)
            if found is None:
                continue
            fields.append((name, found))
        else:
            fields.append((name, value))
    fields.sort()
    return Fact(derived_key(action.fact_type, fields), action.fact_type, tuple(fields))


class TableIndex:
    """The rows of one table as facts, indexed by their first selected column.

    A table with `select` contributes only the rows whose selected columns each equal the value
    of one of the named input fields; a table without it contributes every row. A looked-up
    string no row has in its column gives a `missing` fact, so rules can state absence without
    negation. Built once per table, so selecting rows costs a lookup, not a scan.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.facts = tuple(
            Fact(f"{table.id}:{number + 1}", table.id, row) for number, row in enumerate(table.rows)
        )
        self.by_value: dict[Literal, list[Fact]] = {}
        self.present = {
            column: frozenset(v for f in self.facts if (v := f.get(column)) is not None)
            for column, _ in table.select
        }
        if table.select:
            first = table.select[0][0]
            for fact in self.facts:
                value = fact.get(first)
                if value is not None:
                    self.by_value.setdefault(value, []).append(fact)

    def select(self, inputs: Mapping[str, list[Fact]]) -> list[Fact]:
        """The facts of the rows to assert for these input facts (by type)."""
        if not self.table.select:
            return list(self.facts)
        wanted: list[tuple[str, set[Literal]]] = []
        for column, sources in self.table.select:
            values: set[Literal] = set()
            for type_name, field in sources:
                for fact in inputs.get(type_name, ()):
                    value = fact.get(field)
                    if value is not None:
                        values.add(value)
            wanted.append((column, values))
        (_first, first_values), rest = wanted[0], wanted[1:]
        found: list[Fact] = [
            Fact(
                f"missing:{self.table.id}:{column}:{value}",
                "missing",
                (("column", column), ("table", self.table.id), ("value", value)),
            )
            for column, values in wanted
            for value in sorted(v for v in values if isinstance(v, str))
            if value not in self.present[column]
        ]
        for value in sorted(first_values, key=str):
            for fact in self.by_value.get(value, ()):
                if all(fact.get(column) in values for column, values in rest):
                    found.append(fact)
        return found


def table_facts(tables: Iterable[Table | TableIndex], inputs: Iterable[Fact]) -> tuple[Fact, ...]:
    """The table facts to assert for these input facts (see `TableIndex`)."""
    by_type: dict[str, list[Fact]] = {}
    for fact in inputs:
        by_type.setdefault(fact.type, []).append(fact)
    out: list[Fact] = []
    for table in tables:
        index = table if isinstance(table, TableIndex) else TableIndex(table)
        out.extend(index.select(by_type))
    return tuple(out)


def check_limits(facts: Mapping[str, Fact], firings: int) -> None:
    """Stop a runaway evaluation."""
    if len(facts) > MAX_FACTS:
        msg = f"evaluation stopped: more than {MAX_FACTS} facts"
        raise EngineError(msg)
    if firings > MAX_FIRINGS:
        msg = f"evaluation stopped: more than {MAX_FIRINGS} firings (a rule loop?)"
        raise EngineError(msg)
