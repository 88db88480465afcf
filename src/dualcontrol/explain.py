"""Explain: render a decision (JSON, text, Markdown) and answer "why did this rule not fire?".

Rendering only reads the `Decision` record; nothing here changes an outcome. The JSON form is
the decision contract (v1): keys in a fixed order, lists in canonical order, no timestamps, so
the same case and rulesets always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs

from .compile import python_condition
from .decide import Decision, Finding, display_value
from .facts import Fact
from .tree import Condition, Op, Ref, Rule, Ruleset

__all__ = ["WhyNot", "decision_to_dict", "render", "why_not"]

FORMATS = ("json", "text", "markdown")


def _fields(fields: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return dict(fields)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as JSON-ready data; optional keys appear only when set."""
    out: dict[str, Any] = {
        "id": finding.id,
        "rule": finding.rule,
        "kind": finding.kind,
        "title": finding.title,
        "cite": finding.cite,
        "outcome": finding.outcome.value if finding.outcome else None,
        "rationale": finding.rationale,
        "lines": list(finding.lines) if finding.lines is not None else None,
    }
    for key in ("requirement", "exception", "open"):
        value = getattr(finding, key)
        if value is not None:
            out[key] = value
    if finding.discharges:
        out["discharges"] = list(finding.discharges)
    if finding.blocks:
        out["blocks"] = list(finding.blocks)
    out["facts"] = [
        {"alias": f.alias, "fact": f.key, "type": f.type, "fields": _fields(f.fields)}
        for f in finding.facts
    ]
    out["because"] = [
        {
            "fact": step.key,
            "type": step.type,
            "fields": _fields(step.fields),
            "derived_by": [{"rule": s.rule, "facts": list(s.facts)} for s in step.derived_by],
        }
        for step in finding.because
    ]
    return out


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """The decision as JSON-ready data, in the documented key order. `screening` appears only
    when dualcontrol screened the parties itself."""
    out: dict[str, Any] = {
        "case": decision.case,
        "outcome": decision.outcome.value,
        "as_of": decision.as_of.isoformat(),
        "rulesets": [
            {"id": rid, "edition": edition, "digest": digest}
            for rid, edition, digest in decision.rulesets
        ],
        "lines": [
            {
                "item": line.item,
                "outcome": line.outcome.value,
                "reasons": list(line.reasons),
                "discharged": [{"requirement": r, "by": list(by)} for r, by in line.discharged],
                "blocked": [{"exception": e, "by": list(by)} for e, by in line.blocked],
            }
            for line in decision.lines
        ],
        "reasons": [finding_to_dict(f) for f in decision.reasons],
        "other_findings": [finding_to_dict(f) for f in decision.other_findings],
        "open_items": [
            {"item": o.item, "question": o.question, "findings": list(o.findings)}
            for o in decision.open_items
        ],
    }
    if decision.screening is not None:
        record = decision.screening
        out["screening"] = {
            "algorithm": record.algorithm,
            "threshold": record.threshold,
            "snapshots": [
                {
                    "dataset": s.dataset,
                    "format": s.format,
                    "list_date": s.list_date,
                    "digest": s.digest,
                    "entries": s.entries,
                }
                for s in record.snapshots
            ],
        }
    return out


def to_json(decision: Decision, *, indent: int | None = 2) -> str:
    """The decision as canonical JSON text."""
    return json.dumps(decision_to_dict(decision), ensure_ascii=False, indent=indent)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _fact_line(fields: tuple[tuple[str, Any], ...], limit: int = 6) -> str:
    shown = [f"{k}={_show(v)}" for k, v in fields if k not in ("description",)][:limit]
    return ", ".join(shown)


def _text(decision: Decision) -> Iterator[str]:
    yield f"case {decision.case}: {decision.outcome.value} (as of {decision.as_of.isoformat()})"
    for rid, edition, digest in decision.rulesets:
        yield f"  ruleset {rid}, edition {edition}, {digest[:19]}"
    if not decision.rulesets:
        yield "  no ruleset applied"
    if decision.screening is not None:
        for snapshot in decision.screening.snapshots:
            dated = f" of {snapshot.list_date}" if snapshot.list_date else ""
            yield f"  screened against {snapshot.dataset}{dated}, {snapshot.digest[:19]}"
    by_id = {f.id: f for f in (*decision.reasons, *decision.other_findings)}
    for line in decision.lines:
        yield ""
        yield f"line {line.item}: {line.outcome.value}"
        for reason in line.reasons:
            yield from _text_finding(by_id[reason], "  ")
        for requirement, by in line.discharged:
            yield f"  {requirement} is discharged by {', '.join(by)}"
        for exception, by in line.blocked:
            yield f"  {exception} is blocked by {', '.join(by)}"
        if not line.reasons:
            yield "  no rule decided this line"
    if decision.open_items:
        yield ""
        yield "open items:"
        for item in decision.open_items:
            where = f"line {item.item}" if item.item is not None else "case"
            yield f"  - {where}: {item.question} ({', '.join(item.findings)})"
    if decision.other_findings:
        yield ""
        yield "other findings:"
        for finding in decision.other_findings:
            outcome = finding.outcome.value if finding.outcome else finding.kind
            yield f"  - {finding.id} ({outcome}): {finding.rationale}"


def _text_finding(finding: Finding, indent: str) -> Iterator[str]:
    outcome = finding.outcome.value if finding.outcome else finding.kind
    yield f"{indent}- {finding.id} [{finding.cite}] {outcome}"
    yield f"{indent}  {finding.rationale}"
    for fact in finding.facts:
        yield f"{indent}  matched {fact.alias} = {fact.key} ({_fact_line(fact.fields)})"
    for step in finding.because:
        if step.derived_by:
            rules = "; ".join(f"{s.rule} from {', '.join(s.facts)}" for s in step.derived_by)
            yield f"{indent}  because {step.key} was derived by {rules}"


def _markdown(decision: Decision) -> Iterator[str]:
    yield f"# Decision on case `{decision.case}`: **{decision.outcome.value}**"
    yield ""
    yield f"As of {decision.as_of.isoformat()}."
    yield ""
    yield "| ruleset | edition | digest |"
    yield "|---|---|---|"
    for rid, edition, digest in decision.rulesets:
        yield f"| `{rid}` | {edition} | `{digest[:19]}` |"
    yield ""
    yield "## Lines"
    yield ""
    yield "| item | outcome | reasons |"
    yield "|---|---|---|"
    for line in decision.lines:
        reasons = ", ".join(f"`{r}`" for r in line.reasons) or "none"
        yield f"| `{line.item}` | **{line.outcome.value}** | {reasons} |"
    yield ""
    yield "## Reasons"
    for finding in decision.reasons:
        yield from _markdown_finding(finding)
    if decision.open_items:
        yield ""
        yield "## Open items"
        yield ""
        for item in decision.open_items:
            where = f"line `{item.item}`" if item.item is not None else "case"
            sources = ", ".join(f"`{f}`" for f in item.findings)
            yield f"- {where}: {item.question} ({sources})"
    if decision.other_findings:
        yield ""
        yield "## Other findings"
        for finding in decision.other_findings:
            yield from _markdown_finding(finding)


def _markdown_finding(finding: Finding) -> Iterator[str]:
    outcome = finding.outcome.value if finding.outcome else finding.kind
    yield ""
    yield f"### `{finding.id}`: {outcome}"
    yield ""
    yield f"{finding.title}. *{finding.cite}*"
    yield ""
    yield f"> {finding.rationale}"
    if finding.facts:
        yield ""
        for fact in finding.facts:
            yield f"- `{fact.alias}` = `{fact.key}`: {_fact_line(fact.fields, 10)}"
    for step in finding.because:
        for support in step.derived_by:
            sources = ", ".join(f"`{k}`" for k in support.facts)
            yield f"- because `{step.key}` was derived by `{support.rule}` from {sources}"


def render(decision: Decision, fmt: str = "text") -> str:
    """The decision as `json`, `text` or `markdown`."""
    if fmt == "json":
        return to_json(decision)
    if fmt == "text":
        return "\n".join(_text(decision)) + "\n"
    if fmt == "markdown":
        return "\n".join(_markdown(decision)) + "\n"
    msg = f"unknown format `{fmt}`: choose one of {', '.join(FORMATS)}"
    raise ValueError(msg)


@attrs.frozen
class WhyNot:
    """Why a rule did not fire: the first condition no fact could meet, with the closest fact.

    `fired` is true when the rule did fire (then `reason` names its findings).
    """

    rule: str
    fired: bool
    reason: str
    pattern: int | None = None
    alias: str | None = None
    fact: str | None = None
    field: str | None = None
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        return self.reason


def _find_rule(decision: Decision, rule_id: str) -> tuple[Ruleset, Rule]:
    ruleset_id, _, local = rule_id.rpartition("/")
    candidates = []
    for run in decision.runs:
        if ruleset_id and run.ruleset.id != ruleset_id:
            continue
        rule = run.ruleset.rules_by_id.get(local)
        if rule is not None:
            candidates.append((run.ruleset, rule))
    if not candidates:
        msg = f"no rule `{rule_id}` in the rulesets of this decision"
        raise KeyError(msg)
    if len(candidates) > 1:
        msg = f"rule `{rule_id}` is in several rulesets: write `ruleset/{local}`"
        raise KeyError(msg)
    return candidates[0]


def _expected(condition: Condition, bound: dict[str, Fact], ruleset: Ruleset) -> str:
    value = condition.value
    if isinstance(value, Ref):
        fact = bound.get(value.alias)
        shown = fact.get(value.field) if fact else None
        if fact is not None and shown is not None:
            shown = display_value(ruleset.types_by_name.get(fact.type), fact, value.field, shown)
        return f"{condition.op.value} {value} (= {_show(shown)})"
    if isinstance(value, tuple):
        return f"{condition.op.value} [{', '.join(_show(v) for v in value)}]"
    if condition.op is Op.EXISTS:
        return "present" if value else "absent"
    return f"{condition.op.value} {_show(value)}"


def why_not(decision: Decision, rule_id: str) -> WhyNot:
    """Explain why `rule_id` (`ruleset/rule`, or `rule` when unambiguous) did not fire.

    It names the first pattern no fact could extend the best partial match with, the first
    condition that failed for the closest fact, and the actual and expected values.
    """
    ruleset, rule = _find_rule(decision, rule_id)
    qualified = f"{ruleset.id}/{rule.id}"
    if not rule.in_force(decision.as_of):
        return WhyNot(
            qualified, False, f"`{qualified}` is not in force on {decision.as_of.isoformat()}"
        )
    run = next(r for r in decision.runs if r.ruleset.id == ruleset.id)
    if run.result is None:
        return WhyNot(qualified, False, f"the engine failed on `{ruleset.id}`: {run.fault}")
    fired = [f for f in run.result.firings if f.rule_id == rule.id]
    if fired:
        return WhyNot(qualified, True, f"`{qualified}` fired {len(fired)} time(s)")
    return _closest(rule, ruleset, run.result.facts, qualified)


def _closest(rule: Rule, ruleset: Ruleset, facts: Any, qualified: str) -> WhyNot:
    by_type: dict[str, list[Fact]] = {}
    for fact in sorted(facts.values(), key=lambda f: f.key):
        by_type.setdefault(fact.type, []).append(fact)
    best: tuple[int, int, str, WhyNot] | None = None
    patterns = [
        (pattern, [(c, python_condition(c)) for c in pattern.conditions])
        for pattern in rule.patterns
    ]

    def explore(index: int, bound: dict[str, Fact]) -> None:
        nonlocal best
        if index == len(rule.patterns):
            return
        pattern, tests = patterns[index]
        used = {f.key for f in bound.values()}
        candidates = [f for f in by_type.get(pattern.fact_type, ()) if f.key not in used]
        if not candidates:
            reason = (
                f"no fact of type `{pattern.fact_type}` for pattern {index + 1} (`{pattern.alias}`)"
            )
            found = WhyNot(qualified, False, reason, index + 1, pattern.alias)
            if best is None or (index, 0) > (best[0], best[1]):
                best = (index, 0, "", found)
            return
        for fact in candidates:
            passed = 0
            failed: Condition | None = None
            for condition, test in tests:
                if test(fact, bound):
                    passed += 1
                else:
                    failed = condition
                    break
            if failed is None:
                bound[pattern.alias] = fact
                explore(index + 1, bound)
                del bound[pattern.alias]
                continue
            actual = fact.get(failed.field)
            shown = (
                "missing"
                if actual is None
                else _show(
                    display_value(
                        ruleset.types_by_name.get(fact.type),
                        fact,
                        failed.field,
                        actual,
                    )
                )
            )
            expected = _expected(failed, bound, ruleset)
            reason = (
                f"pattern {index + 1} (`{pattern.alias}`): no `{pattern.fact_type}` fact has "
                f"`{failed.field}` {expected}; closest is `{fact.key}` "
                f"with `{failed.field}` = {shown}"
            )
            found = WhyNot(
                qualified,
                False,
                reason,
                index + 1,
                pattern.alias,
                fact.key,
                failed.field,
                expected,
                shown,
            )
            rank = (index, passed, _negated(fact.key))
            if best is None or rank > (best[0], best[1], best[2]):
                best = (index, passed, _negated(fact.key), found)

    explore(0, {})
    if best is None:
        return WhyNot(
            qualified, False, f"`{qualified}` matched but did not fire: report this as a bug"
        )
    return best[3]


def _negated(key: str) -> str:
    """A sort key under which smaller fact keys rank higher (ties go to the first fact)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in key)
