"""Decide: from the firings of each ruleset to one decision per line and per case.

The engine is purely monotonic; what is defeasible is settled here, after it ran:

- a `decide` firing is a finding with an outcome for the lines it concerns (the `line` fields
  of the facts it matched; none means every line of the case);
- an `exception` firing discharges the named requirements on its lines, unless a `guard`
  firing on that line blocks it; a discharged requirement counts as `license_exception` (or as
  `no_license_required` when the exception is an exemption);
- a line's outcome is the most restrictive of its findings; a line no rule decided is `review`
  with an open item (fail closed); the case's outcome is its most restrictive line.

Decisions are built deterministically: findings are numbered per rule in canonical firing
order and every list is sorted.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .facts import Fact, from_date_value
from .run import Firing, RunResult
from .tree import (
    Decide,
    Derive,
    ExceptionRule,
    FactType,
    FieldType,
    Guard,
    Literal,
    Rule,
    Ruleset,
    Template,
)
from .vocab import CURRENCIES, Outcome

if TYPE_CHECKING:
    from .explain import WhyNot
    from .party_screening import ScreeningRecord

__all__ = [
    "Decision",
    "Finding",
    "Line",
    "MatchedFact",
    "OpenItem",
    "RulesetRun",
    "Step",
    "Support",
    "decide",
    "display_value",
]

DisplayValue = str | int | float | bool


class _Quoted:
    """What a quoted fact shows: its key, type and fields as people read them."""

    __slots__ = ()
    fact: Fact
    fact_type: FactType | None

    @property
    def key(self) -> str:
        """The fact's key."""
        return self.fact.key

    @property
    def type(self) -> str:
        """The fact's type name."""
        return self.fact.type

    @property
    def fields(self) -> tuple[tuple[str, DisplayValue], ...]:
        """The fact's fields as people read them (dates ISO, money with its currency)."""
        fact, fact_type = self.fact, self.fact_type
        return tuple(
            (name, display_value(fact_type, fact, name, value)) for name, value in fact.fields
        )


@attrs.frozen
class MatchedFact(_Quoted):
    """A fact as a finding quotes it: its alias in the rule, the fact and its type."""

    alias: str
    fact: Fact
    fact_type: FactType | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Support:
    """One firing that derived a fact: the rule and the facts it matched."""

    rule: str
    facts: tuple[str, ...]


@attrs.frozen
class Step(_Quoted):
    """A fact in the chain behind a finding: derived (with its supports) or input."""

    fact: Fact
    derived_by: tuple[Support, ...] = ()
    fact_type: FactType | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Finding:
    """One firing of a `decide`, `exception` or `guard` rule, or an engine fault."""

    id: str
    rule: str
    ruleset: str
    title: str
    cite: str
    kind: str
    outcome: Outcome | None
    rationale: str
    lines: tuple[str, ...] | None
    facts: tuple[MatchedFact, ...] = ()
    because: tuple[Step, ...] = ()
    requirement: str | None = None
    exception: str | None = None
    discharges: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()
    open: str | None = None

    def concerns(self, line: str) -> bool:
        """Whether this finding applies to item line `line`."""
        return self.lines is None or line in self.lines


@attrs.frozen
class Line:
    """The outcome of one item line, with the findings that decided it."""

    item: str
    outcome: Outcome
    reasons: tuple[str, ...]
    discharged: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(requirement finding, exception findings that discharged it on this line)."""
    blocked: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(exception finding, guard findings that blocked it on this line)."""


@attrs.frozen
class OpenItem:
    """A question the rules could not answer; it keeps its line at `review` or above.

    `findings` are the findings that raised it (the same question on a line is asked once).
    """

    item: str | None
    question: str
    findings: tuple[str, ...]


@attrs.frozen
class RulesetRun:
    """What evaluating one ruleset on the case produced: a run, or an engine fault."""

    ruleset: Ruleset
    result: RunResult | None
    fault: str | None = None


@attrs.frozen
class Decision:
    """The decision on a case, with everything needed to explain and audit it."""

    case: str
    outcome: Outcome
    as_of: dt.date
    rulesets: tuple[tuple[str, str, str], ...]
    """(id, edition, digest) of each ruleset evaluated."""
    lines: tuple[Line, ...]
    reasons: tuple[Finding, ...]
    other_findings: tuple[Finding, ...]
    open_items: tuple[OpenItem, ...]
    screening: ScreeningRecord | None = None
    """What the parties were screened against, when dualcontrol screened them."""
    runs: tuple[RulesetRun, ...] = attrs.field(default=(), eq=False, repr=False)
    """The evaluations behind the decision (not part of its JSON); `why_not` reads them."""

    def explain(self, fmt: str = "text") -> str:
        """The decision rendered as `text` (default), `markdown` or `json`."""
        from .explain import render

        return render(self, fmt)

    def to_json(self) -> str:
        """The decision as canonical JSON (the decision contract)."""
        from .explain import to_json

        return to_json(self)

    def why_not(self, rule_id: str) -> WhyNot:
        """Why `rule_id` did not fire: its first unmet condition, actual and expected values."""
        from .explain import why_not

        return why_not(self, rule_id)

    def finding(self, finding_id: str) -> Finding:
        """The finding with this id; `KeyError` if none."""
        for finding in (*self.reasons, *self.other_findings):
            if finding.id == finding_id:
                return finding
        raise KeyError(finding_id)


def display_value(
    fact_type: FactType | None, fact: Fact, field: str, value: Literal
) -> DisplayValue:
    """A field value as people read it: dates in ISO form, money as `USD 36000.00`."""
    field_type = fact_type.field_types().get(field) if fact_type else None
    if field_type is FieldType.DATE and isinstance(value, int):
        return from_date_value(value).isoformat()
    if field_type is FieldType.MONEY and isinstance(value, int):
        fixed = fact_type.currency(field) if fact_type else None
        own = fact.get("currency")
        currency = fixed or (own if isinstance(own, str) else "")
        if currency in CURRENCIES:
            digits = CURRENCIES[currency]
            amount = Decimal(value).scaleb(-digits)
            return f"{currency} {amount:.{digits}f}"
        return f"{value} minor units"
    return value


class _Builder:
    """Turns the runs of all rulesets into findings, then lines."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def name(self, template: Template, bound: Mapping[str, Fact]) -> str:
        """A requirement name (or pattern) with its placeholders filled by the raw values."""
        text = template.text
        for ref in template.refs:
            value = bound[ref.alias].get(ref.field)
            text = text.replace("{" + str(ref) + "}", "" if value is None else str(value))
        return text

    def render(
        self, template: Template, bound: Mapping[str, Fact], types: Mapping[str, FactType]
    ) -> str:
        text = template.text.replace("{{", "\0").replace("}}", "\1")
        for ref in template.refs:
            fact = bound[ref.alias]
            value = fact.get(ref.field)
            shown = (
                "(missing)"
                if value is None
                else display_value(types.get(fact.type), fact, ref.field, value)
            )
            if isinstance(shown, bool):
                shown = "true" if shown else "false"
            text = text.replace("{" + str(ref) + "}", str(shown))
        return text.replace("\0", "{").replace("\1", "}")

    def because(
        self,
        start: Iterable[Fact],
        result: RunResult,
        supports: Mapping[str, list[Firing]],
        ruleset: Ruleset,
        types: Mapping[str, FactType],
    ) -> tuple[Step, ...]:
        steps: dict[str, Step] = {}
        pending = [fact.key for fact in start if fact.key in supports]
        while pending:
            key = pending.pop()
            if key in steps:
                continue
            fact = result.facts[key]
            derived_by = []
            for firing in supports.get(key, ()):
                derived_by.append(Support(f"{ruleset.id}/{firing.rule_id}", firing.fact_keys()))
                pending.extend(k for k in firing.fact_keys() if k not in steps)
            steps[key] = Step(
                fact,
                tuple(sorted(set(derived_by), key=lambda s: (s.rule, s.facts))),
                types.get(fact.type),
            )
        return tuple(steps[k] for k in sorted(steps))

    def ruleset_findings(self, run: RulesetRun) -> None:
        ruleset = run.ruleset
        if run.result is None:
            self.findings.append(
                Finding(
                    id=f"{ruleset.id}/engine.fault#0",
                    rule=f"{ruleset.id}/engine.fault",
                    ruleset=ruleset.id,
                    title="The rule engine failed; the case is sent to review",
                    cite="dualcontrol: fail closed",
                    kind="fault",
                    outcome=Outcome.REVIEW,
                    rationale=f"the engine failed while evaluating `{ruleset.id}`: {run.fault}",
                    lines=None,
                    open="re-run the case after the engine fault is fixed",
                )
            )
            return
        result = run.result
        types = ruleset.types_by_name
        supports: dict[str, list[Firing]] = {}
        for firing in result.firings:
            if firing.derived is not None:
                supports.setdefault(firing.derived, []).append(firing)
        counters: dict[str, int] = {}
        for firing in result.firings:
            rule = ruleset.rules[firing.rule_index]
            if isinstance(rule.action, Derive):
                continue
            number = counters.get(rule.id, 0)
            counters[rule.id] = number + 1
            bound = {alias: result.facts[key] for alias, key in firing.bindings}
            self.findings.append(
                self.finding(ruleset, rule, number, bound, result, supports, types)
            )

    def finding(
        self,
        ruleset: Ruleset,
        rule: Rule,
        number: int,
        bound: Mapping[str, Fact],
        result: RunResult,
        supports: Mapping[str, list[Firing]],
        types: Mapping[str, FactType],
    ) -> Finding:
        lines = sorted({f.line for f in bound.values() if f.line is not None})
        action = rule.action
        assert not isinstance(action, Derive)
        requirement: str | None = None
        exception: str | None = None
        discharges: tuple[str, ...] = ()
        blocks: tuple[str, ...] = ()
        open_question: str | None = None
        if isinstance(action, Decide):
            kind, outcome, open_question = "decide", action.outcome, action.open
            if action.requirement is not None:
                requirement = self.name(action.requirement, bound)
        elif isinstance(action, ExceptionRule):
            kind, outcome, exception = "exception", action.outcome, action.name
            discharges = tuple(self.name(d, bound) for d in action.discharges)
        else:
            assert isinstance(action, Guard)
            kind, outcome, blocks = "guard", None, action.blocks
        return Finding(
            id=f"{ruleset.id}/{rule.id}#{number}",
            rule=f"{ruleset.id}/{rule.id}",
            ruleset=ruleset.id,
            title=rule.title,
            cite=rule.cite,
            kind=kind,
            outcome=outcome,
            rationale=self.render(action.rationale, bound, types),
            lines=tuple(lines) if lines else None,
            facts=tuple(
                MatchedFact(alias, fact, types.get(fact.type)) for alias, fact in bound.items()
            ),
            because=self.because(bound.values(), result, supports, ruleset, types),
            requirement=requirement,
            exception=exception,
            discharges=discharges,
            blocks=blocks,
            open=open_question,
        )

    def line(self, item: str, open_items: list[OpenItem]) -> Line:
        mine = [f for f in self.findings if f.concerns(item)]
        decisions = [f for f in mine if f.kind in ("decide", "fault")]
        guards = [f for f in mine if f.kind == "guard"]
        blocked: list[tuple[str, tuple[str, ...]]] = []
        usable: list[Finding] = []
        for exception in (f for f in mine if f.kind == "exception"):
            by = tuple(g.id for g in guards if _blocks(g, exception))
            if by:
                blocked.append((exception.id, by))
            else:
                usable.append(exception)
        discharged: list[tuple[str, tuple[str, ...]]] = []
        effective: list[tuple[Outcome, str, tuple[str, ...]]] = []
        for finding in decisions:
            assert finding.outcome is not None
            requirement = finding.requirement
            by = ()
            dischargers: list[Finding] = []
            if requirement is not None:
                dischargers = [
                    e
                    for e in usable
                    if any(fnmatch.fnmatchcase(requirement, p) for p in e.discharges)
                ]
                by = tuple(e.id for e in dischargers)
            if by:
                discharged.append((finding.id, by))
                lowest = min((e.outcome for e in dischargers if e.outcome), key=lambda o: o.rank)
                effective.append((lowest, finding.id, by))
            else:
                effective.append((finding.outcome, finding.id, ()))
            if finding.open is not None:
                open_items.append(OpenItem(item, finding.open, (finding.id,)))
        if not effective:
            open_items.append(
                OpenItem(
                    item,
                    "no rule decided this line: classify it or extend the rules",
                    ("dualcontrol/undecided",),
                )
            )
            return Line(item, Outcome.REVIEW, (), (), tuple(blocked))
        outcome = Outcome.most_restrictive(tuple(o for o, _, _ in effective))
        reasons: set[str] = set()
        for found, finding_id, by in effective:
            if found is outcome:
                reasons.add(finding_id)
                reasons.update(by)
        return Line(
            item, outcome, tuple(sorted(reasons)), tuple(sorted(discharged)), tuple(sorted(blocked))
        )


def _blocks(guard: Finding, exception: Finding) -> bool:
    """Whether `guard` blocks `exception`: by name, or by `*`, which blocks every license
    exception but not an exemption (a requirement that does not apply needs no permission)."""
    if exception.exception in guard.blocks:
        return True
    return "*" in guard.blocks and exception.outcome is Outcome.LICENSE_EXCEPTION


def _group_open(items: Iterable[OpenItem], order: Mapping[str, int]) -> list[OpenItem]:
    """One open item per line and question, naming every finding that asked it, in canonical
    order."""
    grouped: dict[tuple[str | None, str], set[str]] = {}
    for item in items:
        grouped.setdefault((item.item, item.question), set()).update(item.findings)
    merged = [
        OpenItem(line, question, tuple(sorted(ids, key=lambda i: (order.get(i, -1), i))))
        for (line, question), ids in grouped.items()
    ]
    return sorted(merged, key=lambda o: (o.item or "", order.get(o.findings[0], -1), o.question))


def decide(
    case_id: str,
    item_ids: tuple[str, ...],
    as_of: dt.date,
    runs: Sequence[RulesetRun],
    extra_open: Iterable[OpenItem] = (),
    screening: ScreeningRecord | None = None,
) -> Decision:
    """The decision on a case from the evaluation of each ruleset."""
    builder = _Builder()
    for run in runs:
        builder.ruleset_findings(run)
    open_items: list[OpenItem] = list(extra_open)
    lines = tuple(builder.line(item, open_items) for item in item_ids)
    decisive = {reason for line in lines for reason in line.reasons}
    order = {f.id: n for n, f in enumerate(builder.findings)}
    reasons = tuple(f for f in builder.findings if f.id in decisive)
    others = tuple(f for f in builder.findings if f.id not in decisive)
    unique_open = _group_open(open_items, order)
    return Decision(
        case=case_id,
        outcome=Outcome.most_restrictive(tuple(line.outcome for line in lines)),
        as_of=as_of,
        rulesets=tuple(
            (r.ruleset.id, r.ruleset.edition.isoformat(), r.ruleset.digest) for r in runs
        ),
        lines=lines,
        reasons=reasons,
        other_findings=others,
        open_items=tuple(unique_open),
        screening=screening,
        runs=tuple(runs),
    )
