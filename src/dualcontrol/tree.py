"""The checked rule tree: what a ruleset means once loaded and checked.

These frozen classes are the one representation every later phase reads: the compiler renders
them for durable-rules, the reference evaluator interprets them, the explainer quotes them.
Nothing here parses or validates; `dualcontrol.check` builds these only from valid input.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from .vocab import Outcome

__all__ = [
    "Action",
    "Condition",
    "Decide",
    "Derive",
    "ExceptionRule",
    "FactType",
    "FieldType",
    "Guard",
    "Literal",
    "Location",
    "Op",
    "Pattern",
    "Period",
    "Ref",
    "Rule",
    "Ruleset",
    "Table",
    "Template",
    "Value",
]


class FieldType(enum.Enum):
    """Type of a fact field. Comparisons are only ever made between values of one type."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    MONEY = "money"

    @property
    def ordered(self) -> bool:
        """Whether `<`, `<=`, `>`, `>=` apply to this type."""
        return self in (FieldType.INTEGER, FieldType.NUMBER, FieldType.DATE, FieldType.MONEY)


Literal = str | int | float | bool
"""A constant as the engine sees it: dates are `yyyymmdd` integers, money integer minor units."""


class Op(enum.Enum):
    """Condition operators of the rule language, by their spelling in rule files."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    MATCHES = "matches"
    EXISTS = "exists"


@attrs.frozen
class Location:
    """A position in a rule file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@attrs.frozen
class Ref:
    """A reference to a field of a fact bound by an earlier pattern: `{ref: alias.field}`."""

    alias: str
    field: str

    def __str__(self) -> str:
        return f"{self.alias}.{self.field}"


Value = Literal | Ref | tuple[Literal, ...]


@attrs.frozen
class Condition:
    """One test on one field of a fact.

    `value` is a literal, a `Ref` (a join), a tuple of literals (`in`, `not in`), a regex
    source (`matches`) or a bool (`exists`).
    """

    field: str
    op: Op
    value: Value
    type: FieldType
    location: Location


@attrs.frozen
class Pattern:
    """Facts of one type that satisfy all conditions, bound to an alias."""

    fact_type: str
    alias: str
    conditions: tuple[Condition, ...]
    location: Location


@attrs.frozen
class Template:
    """Rationale text with `{alias.field}` placeholders, filled from the matched facts."""

    text: str
    refs: tuple[Ref, ...]


@attrs.frozen
class Derive:
    """Assert a new fact of a declared type; its fields are literals or references."""

    fact_type: str
    fields: tuple[tuple[str, Literal | Ref], ...]


@attrs.frozen
class Decide:
    """Give an outcome to the lines the firing concerns.

    `requirement` names a license requirement that exceptions may discharge (a template, so a
    name can carry the control it comes from: `chart.{r.reason}.{r.scope}`); `open` turns the
    finding into an open item (a question the rules cannot answer) with outcome `review`.
    """

    outcome: Outcome
    rationale: Template
    requirement: Template | None = None
    open: str | None = None


@attrs.frozen
class ExceptionRule:
    """An exception (license exception, general authorisation, safe harbour) that discharges
    the named requirements on the lines it concerns, unless a guard blocks it.

    `discharges` are name patterns (templates; `*` matches any text). A discharged requirement
    counts as `outcome`: `license_exception`, or `no_license_required` for an exemption (the
    requirement does not apply at all, e.g. an excluded paragraph).
    """

    name: str
    discharges: tuple[Template, ...]
    rationale: Template
    outcome: Outcome = Outcome.LICENSE_EXCEPTION


@attrs.frozen
class Guard:
    """Blocks the named exceptions on the lines it concerns; `*` blocks every license
    exception (but not an exemption, which only an explicit name blocks)."""

    blocks: tuple[str, ...]
    rationale: Template


Action = Derive | Decide | ExceptionRule | Guard


@attrs.frozen
class Period:
    """A half-open date interval `[start, end)`; `None` is unbounded."""

    start: dt.date | None
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        """Whether `day` lies in the interval."""
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)


@attrs.frozen
class Rule:
    """A rule: when every pattern matches (each alias a distinct fact), do its action."""

    id: str
    title: str
    cite: str
    patterns: tuple[Pattern, ...]
    action: Action
    location: Location
    effective: dt.date | None = None
    expires: dt.date | None = None
    suspended: tuple[Period, ...] = ()
    note: str | None = None

    def in_force(self, day: dt.date) -> bool:
        """Whether the rule applies on `day`: after `effective`, before `expires`, and in no
        suspension."""
        if not Period(self.effective, self.expires).contains(day):
            return False
        return not any(period.contains(day) for period in self.suspended)


@attrs.frozen
class FactType:
    """A kind of fact with typed fields: built in (from the case), a table, or derived."""

    name: str
    fields: tuple[tuple[str, FieldType], ...]
    origin: str
    description: str = ""
    currencies: tuple[tuple[str, str], ...] = ()
    """Currency of each money field whose currency is fixed (table columns)."""

    @functools.cached_property
    def _field_map(self) -> Mapping[str, FieldType]:
        return MappingProxyType(dict(self.fields))

    def field_types(self) -> Mapping[str, FieldType]:
        """Field name -> type (read-only)."""
        return self._field_map

    @functools.cached_property
    def _currency_map(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.currencies))

    def currency(self, field: str) -> str | None:
        """The fixed currency of money field `field`, if its currency is fixed."""
        return self._currency_map.get(field)


@attrs.frozen
class Table:
    """A data table of a ruleset, asserted as facts of its own type.

    `select` maps a column to input-fact fields: a row is asserted only when the row's value
    in that column equals the value of one of those fields in some input fact.
    """

    id: str
    fact_type: FactType
    rows: tuple[tuple[tuple[str, Literal], ...], ...]
    select: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    file: str
    source: str | None = None
    edition: dt.date | None = None


@attrs.frozen
class Ruleset:
    """A checked ruleset: header, fact types, tables and rules, with its content digest."""

    id: str
    title: str
    jurisdiction: str
    edition: dt.date
    source: str
    schema: int
    path: str
    digest: str
    fact_types: tuple[FactType, ...]
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...]
    exporter_countries: tuple[str, ...] = ()
    description: str = ""

    @functools.cached_property
    def types_by_name(self) -> Mapping[str, FactType]:
        """Fact type name -> fact type."""
        return {t.name: t for t in self.fact_types}

    @functools.cached_property
    def rules_by_id(self) -> Mapping[str, Rule]:
        """Rule id (without the ruleset prefix) -> rule."""
        return {r.id: r for r in self.rules}
