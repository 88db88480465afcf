"""Check: turn located YAML nodes into the rule tree, reporting every problem at once.

The checker validates a ruleset against the rule-language schema (v1): structure, names,
types of every condition (no comparison ever mixes types), references between patterns,
templates, exceptions and guards, and the limits beyond which durable-rules cannot run a
ruleset safely. Each problem is located as `file:line:col`, with a suggestion where one fits.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from . import safe_regex
from .check_data import LIMITS, RULE_ID, Checked, DataChecker
from .compile import variant_count
from .errors import Problem, suggest
from .load import Node, read_yaml
from .tree import (
    Action,
    Condition,
    Decide,
    Derive,
    ExceptionRule,
    FactType,
    FieldType,
    Guard,
    Literal,
    Op,
    Pattern,
    Period,
    Ref,
    Rule,
    Template,
)
from .vocab import Outcome

__all__ = ["check_ruleset"]

_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_NAME_GLOB = re.compile(r"[A-Za-z0-9*][A-Za-z0-9._:*-]*")
_PATTERN_KEY = re.compile(r"\s*([a-z][a-z0-9_]*)(?:\s+as\s+([a-z][a-z0-9_]*))?\s*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_OPS = {op.value: op for op in Op}


class _Checker(DataChecker):
    """The checks of rules: patterns, typed conditions, references, templates, actions."""

    def rules(self, node: Node) -> None:
        for rule_node in self.sequence(node, "rules"):
            rule = self.rule(rule_node)
            if rule is not None:
                self.out.rules.append(rule)

    def rule(self, node: Node) -> Rule | None:
        entries = self.fields(
            node,
            "a rule",
            ("id", "title", "cite", "when"),
            ("note", "effective", "expires", "suspended", "derive", "decide", "exception", "guard"),
        )
        if entries is None:
            return None
        rule_id = self.string(entries["id"], "rule id", RULE_ID) if "id" in entries else None
        title = self.string(entries["title"], "title") if "title" in entries else None
        cite = self.string(entries["cite"], "cite") if "cite" in entries else None
        note = self.string(entries["note"], "note") if "note" in entries else None
        effective = self.date(entries["effective"], "effective") if "effective" in entries else None
        expires = self.date(entries["expires"], "expires") if "expires" in entries else None
        if effective and expires and expires <= effective:
            self.error(entries["expires"], "expires must be after effective")
        suspended = self.periods(entries["suspended"]) if "suspended" in entries else ()
        patterns = self.patterns(entries["when"]) if "when" in entries else None
        kinds = [k for k in ("derive", "decide", "exception", "guard") if k in entries]
        if len(kinds) != 1:
            self.error(node, "a rule needs exactly one action: derive, decide, exception or guard")
            return None
        action = self.action(kinds[0], entries[kinds[0]], patterns or ())
        if None in (rule_id, title, cite, patterns, action):
            return None
        assert rule_id and title and cite and patterns is not None and action is not None
        return Rule(
            rule_id,
            title,
            cite,
            patterns,
            action,
            node.location,
            effective,
            expires,
            suspended,
            note,
        )

    def periods(self, node: Node) -> tuple[Period, ...]:
        out = []
        for item in self.sequence(node, "suspended"):
            entries = self.fields(item, "a suspension", ("from",), ("until",))
            if entries is None or "from" not in entries:
                continue
            start = self.date(entries["from"], "from")
            end = self.date(entries["until"], "until") if "until" in entries else None
            if start and end and end <= start:
                self.error(entries["until"], "until must be after from")
            out.append(Period(start, end))
        return tuple(out)

    def patterns(self, node: Node) -> tuple[Pattern, ...] | None:
        nodes = self.sequence(node, "when")
        if not nodes:
            if node.kind == "seq":
                self.error(node, "when needs at least one pattern")
            return None
        if len(nodes) > LIMITS["patterns_per_rule"]:
            self.error(node, f"a rule may have at most {LIMITS['patterns_per_rule']} patterns")
        aliases: dict[str, FactType] = {}
        out: list[Pattern] = []
        ok = True
        currencies: dict[str, str] = {}
        for pattern_node in nodes:
            pattern = self.pattern(pattern_node, aliases, currencies)
            if pattern is None:
                ok = False
                continue
            aliases[pattern.alias] = self.out.fact_types[pattern.fact_type]
            out.append(pattern)
        return tuple(out) if ok else None

    def pattern(
        self, node: Node, aliases: Mapping[str, FactType], currencies: dict[str, str]
    ) -> Pattern | None:
        """One pattern; `currencies` (alias -> fixed currency) gains this pattern's."""
        if node.kind != "map" or len(node.pairs()) != 1:
            self.error(node, "a pattern is a mapping with one key: `type` or `type as alias`")
            return None
        ((key, body),) = node.pairs()
        match = _PATTERN_KEY.fullmatch(key.value) if isinstance(key.value, str) else None
        if match is None:
            self.error(key, f"`{key.value}` is not `type` or `type as alias`")
            return None
        type_name, alias = match.group(1), match.group(2) or match.group(1)
        fact_type = self.out.fact_types.get(type_name)
        if fact_type is None:
            self.error(
                key, f"unknown fact type `{type_name}`{suggest(type_name, self.out.fact_types)}"
            )
            return None
        if alias in aliases:
            self.error(
                key, f"alias `{alias}` is already bound in this rule: use `{type_name} as <alias>`"
            )
            return None
        conditions: list[Condition] = []
        ok = True
        if body.kind == "scalar" and body.value is None:
            pass
        elif body.kind != "map":
            self.error(body, f"conditions of `{type_name}` must be a mapping of field to condition")
            ok = False
        else:
            field_types = fact_type.field_types()
            for field_node, condition_node in body.pairs():
                field = field_node.value
                if not isinstance(field, str) or field not in field_types:
                    self.error(
                        field_node,
                        f"fact type `{type_name}` has no field `{field}`"
                        f"{suggest(str(field), field_types)}",
                    )
                    ok = False
                    continue
                found = self.conditions(
                    field, field_types[field], condition_node, fact_type, aliases
                )
                if found is None:
                    ok = False
                else:
                    conditions.extend(found)
        joins = sum(1 for c in conditions if isinstance(c.value, Ref))
        if joins > LIMITS["joins_per_pattern"]:
            self.error(body, f"a pattern may have at most {LIMITS['joins_per_pattern']} references")
            ok = False
        if not ok:
            return None
        pattern = Pattern(type_name, alias, tuple(conditions), key.location)
        self.money_currencies(pattern, fact_type, aliases, currencies)
        return pattern

    def conditions(
        self,
        field: str,
        field_type: FieldType,
        node: Node,
        fact_type: FactType,
        aliases: Mapping[str, FactType],
    ) -> list[Condition] | None:
        currency = fact_type.currency(field)
        if node.kind != "map" or self.is_operand(node):
            value = self.operand(node, field_type, field, aliases, currency)
            return (
                None
                if value is None
                else [Condition(field, Op.EQ, value, field_type, node.location)]
            )
        out: list[Condition] = []
        ok = True
        for op_node, value_node in node.pairs():
            spelled = op_node.value
            if not isinstance(spelled, str) or spelled not in _OPS:
                self.error(op_node, f"unknown operator `{spelled}`{suggest(str(spelled), _OPS)}")
                ok = False
                continue
            op = _OPS[spelled]
            condition = self.condition(field, field_type, op, value_node, aliases, currency)
            if condition is None:
                ok = False
            else:
                out.append(condition)
        if not out and ok:
            self.error(node, f"no condition given for `{field}`")
            ok = False
        return out if ok else None

    def is_operand(self, node: Node) -> bool:
        keys = frozenset(k.value for k, _ in node.pairs())
        return keys in (frozenset({"ref"}), frozenset({"amount", "currency"}))

    def condition(
        self,
        field: str,
        field_type: FieldType,
        op: Op,
        node: Node,
        aliases: Mapping[str, FactType],
        currency: str | None,
    ) -> Condition | None:
        what = f"`{field} {op.value}`"
        if op in (Op.LT, Op.LE, Op.GT, Op.GE) and not field_type.ordered:
            self.error(
                node,
                f"{what}: `{op.value}` compares numbers, money and dates, not a {field_type.value}",
            )
            return None
        if op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE):
            value = self.operand(node, field_type, field, aliases, currency)
            return None if value is None else Condition(field, op, value, field_type, node.location)
        if op in (Op.IN, Op.NOT_IN):
            members = self.sequence(node, what)
            if not members:
                if node.kind == "seq":
                    self.error(node, f"{what} needs at least one value")
                return None
            if len(members) > LIMITS["values_per_in"]:
                self.error(
                    node, f"{what} may list at most {LIMITS['values_per_in']} values: use a table"
                )
                return None
            values = [self.literal(m, field_type, what, currency) for m in members]
            if any(v is None for v in values):
                return None
            counts = Counter(values)
            duplicates = [str(v) for v, n in counts.items() if n > 1]
            if duplicates:
                self.error(node, f"{what} lists `{duplicates[0]}` more than once")
                return None
            literal_values = tuple(v for v in values if v is not None)
            return Condition(field, op, literal_values, field_type, node.location)
        if op is Op.EXISTS:
            if node.kind != "scalar" or not isinstance(node.value, bool):
                self.error(node, f"{what} takes true or false")
                return None
            return Condition(field, op, node.value, field_type, node.location)
        if field_type is not FieldType.STRING:
            self.error(node, f"{what} applies to strings, not a {field_type.value}")
            return None
        text = self.string(node, what)
        if text is None:
            return None
        if op is Op.CONTAINS:
            if re.search(r'["\\\x00-\x1f\x7f]', text):
                self.error(
                    node, f"{what}: quotes, backslashes and control characters are not allowed"
                )
                return None
        else:
            try:
                safe_regex.parse(text)
            except safe_regex.RegexError as error:
                self.error(node, f"{what}: {error}")
                return None
        return Condition(field, op, text, field_type, node.location)

    def operand(
        self,
        node: Node,
        field_type: FieldType,
        field: str,
        aliases: Mapping[str, FactType],
        currency: str | None,
    ) -> Literal | Ref | None:
        if node.kind == "map" and {k.value for k, _ in node.pairs()} == {"ref"}:
            return self.ref(node.pairs()[0][1], field_type, aliases, f"`{field}`")
        return self.literal(node, field_type, f"`{field}`", currency)

    def ref(
        self,
        node: Node,
        field_type: FieldType | None,
        aliases: Mapping[str, FactType],
        what: str,
    ) -> Ref | None:
        text = node.value
        if not isinstance(text, str) or text.count(".") != 1:
            self.error(node, f"{what}: a reference is `alias.field`, got `{text}`")
            return None
        alias, field = text.split(".")
        if alias not in aliases:
            hint = suggest(alias, aliases)
            self.error(node, f"{what}: `{alias}` is not bound by an earlier pattern{hint}")
            return None
        field_types = aliases[alias].field_types()
        if field not in field_types:
            self.error(
                node,
                f"{what}: `{aliases[alias].name}` has no field `{field}`"
                f"{suggest(field, field_types)}",
            )
            return None
        if field_type is not None and field_types[field] is not field_type:
            self.error(
                node,
                f"{what}: cannot compare a {field_type.value} with `{text}`, "
                f"a {field_types[field].value}",
            )
            return None
        return Ref(alias, field)

    def money_currencies(
        self,
        pattern: Pattern,
        fact_type: FactType,
        aliases: Mapping[str, FactType],
        currencies: dict[str, str],
    ) -> None:
        """Money is compared as minor units: both sides must be in one known currency."""
        for condition in pattern.conditions:
            if condition.type is not FieldType.MONEY or condition.op is Op.EXISTS:
                continue
            left = _currency_of(pattern, fact_type, condition.field)
            right: str | None
            if isinstance(condition.value, Ref):
                right = None
                target = aliases.get(condition.value.alias)
                if target is not None:
                    right = target.currency(condition.value.field)
                    if right is None:
                        right = currencies.get(condition.value.alias)
            else:
                right = left
            if left is None or right is None or left != right:
                self.error(
                    condition.location,
                    f"`{condition.field}` compares money: fix the currency on both sides "
                    f"(e.g. add `currency: USD` to pattern `{pattern.alias}`)",
                )
        currency = _currency_of(pattern, fact_type, None)
        if currency is not None:
            currencies[pattern.alias] = currency

    def template(self, node: Node, aliases: Mapping[str, FactType], what: str) -> Template | None:
        text = self.string(node, what)
        if text is None:
            return None
        refs: list[Ref] = []
        ok = True
        stripped = text.replace("{{", "").replace("}}", "")
        for match in _PLACEHOLDER.finditer(stripped):
            ref = self.ref(Node("scalar", match.group(1), node.location), None, aliases, what)
            if ref is None:
                ok = False
            else:
                refs.append(ref)
        if "{" in _PLACEHOLDER.sub("", stripped) or "}" in _PLACEHOLDER.sub("", stripped):
            self.error(node, f"{what}: unbalanced `{{` or `}}` (write `{{{{` for a literal brace)")
            ok = False
        return Template(text, tuple(refs)) if ok else None

    def action(self, kind: str, node: Node, patterns: tuple[Pattern, ...]) -> Action | None:
        aliases = {p.alias: self.out.fact_types[p.fact_type] for p in patterns}
        handlers: dict[str, Callable[[Node, Mapping[str, FactType]], Action | None]] = {
            "derive": self.derive,
            "decide": self.decide,
            "exception": self.exception,
            "guard": self.guard,
        }
        return handlers[kind](node, aliases)

    def derive(self, node: Node, aliases: Mapping[str, FactType]) -> Derive | None:
        if node.kind != "map" or len(node.pairs()) != 1:
            self.error(node, "derive takes one fact: `{type: {field: value, ...}}`")
            return None
        ((key, body),) = node.pairs()
        type_name = key.value
        fact_type = self.out.fact_types.get(type_name) if isinstance(type_name, str) else None
        if fact_type is None or fact_type.origin != "derived":
            derived = [t for t, f in self.out.fact_types.items() if f.origin == "derived"]
            self.error(
                key,
                f"`{type_name}` is not a declared derived fact type (under `facts:`)"
                f"{suggest(str(type_name), derived)}",
            )
            return None
        field_types = fact_type.field_types()
        entries = self.fields(body, f"derived `{type_name}`", tuple(field_types))
        if entries is None or len(entries) != len(field_types):
            return None
        values: list[tuple[str, Literal | Ref]] = []
        for name, value_node in entries.items():
            value = self.operand(value_node, field_types[name], name, aliases, None)
            if value is None:
                return None
            values.append((name, value))
        return Derive(fact_type.name, tuple(sorted(values, key=lambda kv: kv[0])))

    def decide(self, node: Node, aliases: Mapping[str, FactType]) -> Decide | None:
        entries = self.fields(node, "decide", ("outcome", "rationale"), ("requirement", "open"))
        if entries is None or "outcome" not in entries or "rationale" not in entries:
            return None
        outcomes = [o.value for o in Outcome]
        spelled = entries["outcome"].value
        if spelled not in outcomes:
            self.error(
                entries["outcome"], f"unknown outcome `{spelled}`{suggest(str(spelled), outcomes)}"
            )
            return None
        outcome = Outcome(spelled)
        rationale = self.template(entries["rationale"], aliases, "rationale")
        requirement = None
        if "requirement" in entries:
            requirement = self.name_template(entries["requirement"], aliases, "requirement")
            if outcome is not Outcome.LICENSE_REQUIRED:
                self.error(
                    entries["requirement"], "only a `license_required` outcome names a requirement"
                )
                return None
        open_item = None
        if "open" in entries:
            open_item = self.string(entries["open"], "open")
            if outcome is not Outcome.REVIEW:
                self.error(entries["open"], "an open item has the outcome `review`")
                return None
        if rationale is None:
            return None
        return Decide(outcome, rationale, requirement, open_item)

    def name_template(
        self, node: Node, aliases: Mapping[str, FactType], what: str, *, glob: bool = False
    ) -> Template | None:
        """A requirement name (or, with `glob`, a pattern of names) with `{alias.field}`
        placeholders."""
        template = self.template(node, aliases, what)
        if template is None:
            return None
        literal = _PLACEHOLDER.sub("x", template.text)
        allowed = _NAME_GLOB if glob else _REQUIREMENT
        if not allowed.fullmatch(literal):
            self.error(node, f"{what} `{template.text}` must match `{allowed.pattern}`")
            return None
        return template

    def exception(self, node: Node, aliases: Mapping[str, FactType]) -> ExceptionRule | None:
        entries = self.fields(node, "exception", ("name", "discharges", "rationale"), ("outcome",))
        if entries is None or len(entries) < 3:
            return None
        name = self.string(entries["name"], "exception name", _REQUIREMENT)
        discharges = [
            self.name_template(n, aliases, "requirement pattern", glob=True)
            for n in self.sequence(entries["discharges"], "discharges")
        ]
        rationale = self.template(entries["rationale"], aliases, "rationale")
        outcome = Outcome.LICENSE_EXCEPTION
        if "outcome" in entries:
            spelled = entries["outcome"].value
            allowed = (Outcome.LICENSE_EXCEPTION.value, Outcome.NO_LICENSE_REQUIRED.value)
            if spelled not in allowed:
                self.error(
                    entries["outcome"],
                    f"an exception's outcome is `license_exception` or `no_license_required`, "
                    f"not `{spelled}`",
                )
                return None
            outcome = Outcome(spelled)
        if name is None or rationale is None or None in discharges or not discharges:
            if not discharges and entries["discharges"].kind == "seq":
                self.error(entries["discharges"], "discharges needs at least one requirement")
            return None
        return ExceptionRule(name, tuple(d for d in discharges if d), rationale, outcome)

    def guard(self, node: Node, aliases: Mapping[str, FactType]) -> Guard | None:
        entries = self.fields(node, "guard", ("blocks", "rationale"))
        if entries is None or len(entries) < 2:
            return None
        blocks = [
            self.string(n, "exception name", re.compile(r"\*|[A-Za-z0-9][A-Za-z0-9._:-]*"))
            for n in self.sequence(entries["blocks"], "blocks")
        ]
        rationale = self.template(entries["rationale"], aliases, "rationale")
        if rationale is None or None in blocks or not blocks:
            if not blocks and entries["blocks"].kind == "seq":
                self.error(entries["blocks"], "blocks needs at least one exception name or `*`")
            return None
        return Guard(tuple(b for b in blocks if b), rationale)

    # -- whole ruleset -------------------------------------------------------------------------

    def cross_checks(self) -> None:
        rules = self.out.rules
        if len(rules) > LIMITS["rules"]:
            self.error(
                rules[LIMITS["rules"]].location,
                f"a ruleset may have at most {LIMITS['rules']} rules",
            )
        seen: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in seen:
                self.error(
                    rule.location,
                    f"duplicate rule id `{rule.id}` (first at {seen[rule.id].location})",
                )
            seen.setdefault(rule.id, rule)
        per_type: Counter[str] = Counter()
        total = 0
        for rule in rules:
            count = variant_count(rule)
            total += count
            if count > LIMITS["variants_per_rule"]:
                self.error(
                    rule.location,
                    f"rule `{rule.id}` expands into {count} engine rules (the product of its "
                    f"`in` lists); at most {LIMITS['variants_per_rule']}: use a table",
                )
            for pattern in rule.patterns:
                per_type[pattern.fact_type] += count
        if total > LIMITS["engine_rules"]:
            self.error(
                rules[0].location,
                f"the ruleset compiles to {total} engine rules; durable-rules takes at most "
                f"{LIMITS['engine_rules']}",
            )
        for type_name, count in sorted(per_type.items()):
            if count > LIMITS["patterns_per_fact_type"]:
                first = next(r for r in rules if any(p.fact_type == type_name for p in r.patterns))
                self.error(
                    first.location,
                    f"{count} patterns match `{type_name}`: durable-rules runs at most "
                    f"{LIMITS['patterns_per_fact_type']} per fact type safely; "
                    "move data into a table",
                )
        requirements = {
            _PLACEHOLDER.sub("*", r.action.requirement.text)
            for r in rules
            if isinstance(r.action, Decide) and r.action.requirement
        }
        exceptions = {r.action.name for r in rules if isinstance(r.action, ExceptionRule)}
        for rule in rules:
            if isinstance(rule.action, ExceptionRule):
                for discharged in rule.action.discharges:
                    name = _PLACEHOLDER.sub("*", discharged.text)
                    if not any(_may_overlap(req, name) for req in requirements):
                        self.error(
                            rule.location,
                            f"exception `{rule.action.name}` discharges `{name}`, which no rule "
                            f"requires{suggest(name, requirements)}",
                        )
            if isinstance(rule.action, Guard):
                for name in rule.action.blocks:
                    if name != "*" and name not in exceptions:
                        self.error(
                            rule.location,
                            f"guard blocks `{name}`, which is not an exception name"
                            f"{suggest(name, exceptions)}",
                        )


def _currency_of(pattern: Pattern, fact_type: FactType, field: str | None) -> str | None:
    """The currency of the money fields of facts matching `pattern`: fixed by the fact type
    for `field`, or by an equality on the fact's `currency` field."""
    if field is not None:
        fixed = fact_type.currency(field)
        if fixed is not None:
            return fixed
    for condition in pattern.conditions:
        if (
            condition.field == "currency"
            and condition.op is Op.EQ
            and isinstance(condition.value, str)
        ):
            return condition.value
    return None


def _may_overlap(first: str, second: str) -> bool:
    """Whether two name patterns (`*` matching any text) can match a common name; judged by
    their literal prefixes, which is exact for the patterns rules write (`chart.NS.*`)."""
    a, b = first.split("*", 1)[0], second.split("*", 1)[0]
    exact_a, exact_b = "*" not in first, "*" not in second
    if exact_a and exact_b:
        return first == second
    if exact_a:
        return fnmatch.fnmatchcase(first, second)
    if exact_b:
        return fnmatch.fnmatchcase(second, first)
    return a.startswith(b) or b.startswith(a)


def check_ruleset(directory: Path, display_root: str) -> tuple[Checked, list[Problem]]:
    """Read and check the ruleset in `directory`: `ruleset.yaml`, every `rules/*.yaml`, and the
    tables they declare. Returns what was built and every problem found."""
    checker = _Checker(directory, display_root)
    main = directory / "ruleset.yaml"
    if not main.is_file():
        checker.problems.append(
            Problem(
                "no ruleset.yaml in the ruleset directory",
                file=checker.display_root or str(directory),
            )
        )
        return checker.out, checker.problems
    root = read_yaml(main, checker.display(main), checker.problems)
    if root is None:
        return checker.out, checker.problems
    entries = checker.header(root, directory.name)
    if entries is None:
        return checker.out, checker.problems
    if "facts" in entries:
        checker.derived_types(entries["facts"])
    if "tables" in entries:
        checker.tables(entries["tables"])
    rule_sources: list[Node] = []
    if "rules" in entries:
        rule_sources.append(entries["rules"])
    rules_dir = directory / "rules"
    if rules_dir.is_dir():
        for path in sorted(rules_dir.glob("*.yaml")):
            node = read_yaml(path, checker.display(path), checker.problems)
            if node is None:
                continue
            body = checker.fields(node, "a rules file", ("rules",))
            if body and "rules" in body:
                rule_sources.append(body["rules"])
    for source in rule_sources:
        checker.rules(source)
    checker.cross_checks()
    return checker.out, checker.problems
