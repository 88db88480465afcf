"""The rule language: loading, checking, and the errors a policy drafter sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualcontrol import RulesetError, load_ruleset
from dualcontrol.check_data import LIMITS
from dualcontrol.tree import Decide, Derive, ExceptionRule, Guard, Op, Ref

from .conftest import WriteRuleset


def errors(directory: Path) -> list[str]:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(directory)
    return [str(p) for p in caught.value.problems]


def one_rule(
    when: str, action: str = "decide: {outcome: review, rationale: r}", extra: str = ""
) -> str:
    return f"""\
{extra}rules:
  - id: r1
    title: t
    cite: c
    when:
{when}
    {action}
"""


def test_starter_ruleset_loads_with_every_construct() -> None:
    ruleset = load_ruleset("starter")
    actions = {type(rule.action) for rule in ruleset.rules}
    assert actions == {Decide, Derive, ExceptionRule, Guard}
    ops = {c.op for rule in ruleset.rules for p in rule.patterns for c in p.conditions}
    assert {Op.EQ, Op.NE, Op.LE, Op.GT, Op.IN, Op.CONTAINS, Op.MATCHES, Op.EXISTS} <= ops
    assert any(
        isinstance(c.value, Ref) for r in ruleset.rules for p in r.patterns for c in p.conditions
    )
    assert any(rule.effective and rule.expires and rule.suspended for rule in ruleset.rules)
    assert {t.id for t in ruleset.tables} == {"controls", "chart", "groups", "embargoes"}
    assert ruleset.digest.startswith("sha256:") and len(ruleset.digest) == 71


def test_digest_ignores_formatting_but_not_content(write_ruleset: WriteRuleset) -> None:
    body = one_rule("      - case: {destination: DE}")
    first = load_ruleset(write_ruleset(body)).digest
    reformatted = "# a comment\n" + body.replace("{destination: DE}", "\n          destination: DE")
    assert load_ruleset(write_ruleset(reformatted)).digest == first
    changed = body.replace("DE", "FR")
    assert load_ruleset(write_ruleset(changed)).digest != first


def test_all_errors_of_all_files_at_once_with_locations(write_ruleset: WriteRuleset) -> None:
    directory = write_ruleset(
        """\
tables:
  marks:
    file: marks.csv
    columns: {country: country, column: string, weight: integer}
""",
        rule_files={
            "a.yaml": """\
rules:
  - id: bad-field
    title: t
    cite: c
    when:
      - case: {destinaton: DE}
    decide: {outcome: review, rationale: r}
  - id: bad-outcome
    title: t
    cite: c
    when:
      - case:
    decide: {outcome: licence_required, rationale: r}
""",
        },
        files={"marks.csv": "country,column,weight\nDE,NS1,1\nXX,NS2,heavy\n"},
    )
    found = errors(directory)
    root = directory.relative_to(Path.cwd()) if directory.is_relative_to(Path.cwd()) else directory
    assert f"{root.as_posix()}/marks.csv:3:1: unknown country code `XX`" in "\n".join(found)
    assert any(
        e.endswith("marks.csv:3:8: column `weight`: `heavy` is not a valid integer") for e in found
    )
    assert any(
        e.endswith(
            "rules/a.yaml:6:16: fact type `case` has no field `destinaton`: "
            "did you mean `destination`?"
        )
        for e in found
    )
    assert any(
        e.endswith(
            "rules/a.yaml:13:23: unknown outcome `licence_required`: "
            "did you mean `license_required`?"
        )
        for e in found
    )
    assert len(found) == 4


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('      - item: {quantity: "2"}', "`quantity` expects a number, got `2`"),
        ("      - item: {medical_device: 1}", "`medical_device` expects a boolean, got `1`"),
        ("      - item: {line: 10}", 'expects a string, got `10`: quote it ("10")'),
        (
            "      - party as p:\n      - item: {line: {ref: p.index}}",
            "cannot compare a string with `p.index`, a integer",
        ),
        (
            '      - item: {description: {"<": "m"}}',
            "`<` compares numbers, money and dates, not a string",
        ),
        ("      - item: {quantity: {contains: x}}", "applies to strings, not a number"),
        (
            "      - item: {line: {ref: later.line}}\n      - item as later:",
            "`later` is not bound by an earlier pattern",
        ),
        ("      - party:\n      - party:", "alias `party` is already bound in this rule"),
        ("      - itme:", "unknown fact type `itme`: did you mean `item`?"),
        ("      - item: {line: {equals: x}}", "unknown operator `equals`"),
        ("      - item: {line: {in: [a, a]}}", "lists `a` more than once"),
        ("      - item: {line: {matches: 'a(b'}}", "unclosed group"),
        ('      - item: {line: {matches: "a\\\\d"}}', "must escape one of"),
        ("      - item: {line: {contains: 'a\"b'}}", "quotes, backslashes and control characters"),
        ("      - item: {value: {'<=': 5}}", "expects money as `{amount: 5000, currency: USD}`"),
        (
            "      - item: {value: {'<=': {amount: 5, currency: USD}}}",
            "`value` compares money: fix the currency on both sides",
        ),
        ("      - case: {date: {'>': 2026-13-01}}", "must be a date"),
        ("      - item as i: {line: {ref: i}}", "a reference is `alias.field`"),
    ],
)
def test_conditions_are_type_checked(write_ruleset: WriteRuleset, when: str, message: str) -> None:
    found = errors(write_ruleset(one_rule(when)))
    assert any(message in e for e in found), found


def test_money_comparison_with_fixed_currency_is_accepted(write_ruleset: WriteRuleset) -> None:
    body = one_rule("      - item: {currency: USD, value: {'<=': {amount: 5000, currency: USD}}}")
    rule = load_ruleset(write_ruleset(body)).rules[0]
    (condition,) = [c for c in rule.patterns[0].conditions if c.field == "value"]
    assert condition.value == 500_000


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            "decide: {outcome: review, rationale: '{x.line} is odd'}",
            "`x` is not bound by an earlier pattern",
        ),
        ("decide: {outcome: review, rationale: 'a {b'}", "unbalanced `{` or `}`"),
        (
            "decide: {outcome: review, requirement: chart, rationale: r}",
            "only a `license_required` outcome names a requirement",
        ),
        (
            "decide: {outcome: prohibited, open: why, rationale: r}",
            "an open item has the outcome `review`",
        ),
        (
            "exception: {name: LVS, discharges: [chart], rationale: r}",
            "discharges `chart`, which no rule requires",
        ),
        (
            "guard: {blocks: [LVS], rationale: r}",
            "guard blocks `LVS`, which is not an exception name",
        ),
        ("derive: {risk: {level: high}}", "`risk` is not a declared derived fact type"),
        ("decide: {outcome: review}", "decide is missing required field `rationale`"),
    ],
)
def test_actions_are_checked(write_ruleset: WriteRuleset, action: str, message: str) -> None:
    found = errors(write_ruleset(one_rule("      - item:", action)))
    assert any(message in e for e in found), found


def test_rule_needs_exactly_one_action(write_ruleset: WriteRuleset) -> None:
    body = one_rule(
        "      - item:",
        "decide: {outcome: review, rationale: r}\n    guard: {blocks: ['*'], rationale: r}",
    )
    assert any("exactly one action" in e for e in errors(write_ruleset(body)))


def test_yaml_errors_are_located(write_ruleset: WriteRuleset) -> None:
    found = errors(write_ruleset("rules: [\n  - id: x\n"))
    assert len(found) == 1 and "invalid YAML" in found[0] and ":3:" in found[0]


def test_duplicate_keys_and_aliases_are_refused(write_ruleset: WriteRuleset) -> None:
    found = errors(write_ruleset("title: again\n"))
    assert any("duplicate key `title` (first at line 3)" in e for e in found)
    found = errors(
        write_ruleset(one_rule("      - case: &a {destination: DE}\n      - case as c2: *a"))
    )
    assert any("anchors and aliases are not allowed" in e for e in found)


def test_rule_files_cannot_construct_python_objects(write_ruleset: WriteRuleset) -> None:
    found = errors(write_ruleset("description: !!python/object/apply:os.system ['true']\n"))
    assert any(
        "YAML tag `tag:yaml.org,2002:python/object/apply:os.system` is not allowed" in e
        for e in found
    ), found


def test_header_is_checked(write_ruleset: WriteRuleset, tmp_path: Path) -> None:
    directory = write_ruleset("")
    text = (directory / "ruleset.yaml").read_text().replace("schema: 1", "schema: 2")
    (directory / "ruleset.yaml").write_text(text.replace("edition: 2026-01-01", "edition: soon"))
    found = errors(directory)
    assert any("unsupported schema `2`" in e for e in found)
    assert any("edition must be a date" in e for e in found)
    other = write_ruleset("", ruleset_id="other")
    (other / "ruleset.yaml").write_text(
        (other / "ruleset.yaml").read_text().replace("id: other", "id: mismatch")
    )
    assert any("differs from its directory `other`" in e for e in errors(other))


def test_tables_are_checked(write_ruleset: WriteRuleset) -> None:
    directory = write_ruleset(
        """\
tables:
  groups:
    file: groups.csv
    columns: {country: country, group: string, since: date}
    select: {country: [case.destinaton], grp: [case.destination]}
  absent:
    file: nowhere.csv
    columns: {a: string}
""",
        files={"groups.csv": "country,group,extra\nDE,B,1\n"},
    )
    found = errors(directory)
    assert any("column `extra` is not declared in the table" in e for e in found)
    assert any("declared columns missing from the file: since" in e for e in found)
    assert any(
        "fact type `case` has no field `destinaton`: did you mean `destination`?" in e
        for e in found
    )
    assert any("select: unknown column `grp`" in e for e in found)
    assert any("table file `nowhere.csv` does not exist" in e for e in found)


def test_pattern_limit(write_ruleset: WriteRuleset) -> None:
    when = "\n".join(f"      - party as p{i}:" for i in range(LIMITS["patterns_per_rule"] + 1))
    assert any("at most 12 patterns" in e for e in errors(write_ruleset(one_rule(when))))


def test_patterns_per_fact_type_limit(write_ruleset: WriteRuleset) -> None:
    count = LIMITS["patterns_per_fact_type"] + 1
    rules = "rules:\n" + "".join(
        f"  - {{id: r{i}, title: t, cite: c, when: [{{item: {{line: l{i}}}}}], "
        f"decide: {{outcome: review, rationale: r}}}}\n"
        for i in range(count)
    )
    found = errors(write_ruleset(rules))
    assert any(f"{count} patterns match `item`" in e for e in found), found


def test_in_list_limit(write_ruleset: WriteRuleset) -> None:
    values = ", ".join(f"v{i}" for i in range(LIMITS["values_per_in"] + 1))
    found = errors(write_ruleset(one_rule(f"      - item: {{line: {{in: [{values}]}}}}")))
    assert any("at most 256 values: use a table" in e for e in found)


def test_effective_dates_are_checked(write_ruleset: WriteRuleset) -> None:
    body = one_rule("      - item:", extra="").replace(
        "    when:", "    effective: 2026-02-01\n    expires: 2026-01-01\n    when:"
    )
    assert any("expires must be after effective" in e for e in errors(write_ruleset(body)))


def test_duplicate_rule_ids(write_ruleset: WriteRuleset) -> None:
    rule = (
        "  - {id: same, title: t, cite: c, when: [item: ], "
        "decide: {outcome: review, rationale: r}}\n"
    )
    found = errors(write_ruleset("rules:\n" + rule + rule))
    assert any("duplicate rule id `same`" in e for e in found)


def test_in_lists_expand_into_a_bounded_number_of_engine_rules(write_ruleset: WriteRuleset) -> None:
    values = ", ".join(f"v{i}" for i in range(10))
    when = f"      - item: {{line: {{in: [{values}]}}, description: {{in: [{values}]}}}}"
    found = errors(write_ruleset(one_rule(when)))
    assert any("expands into 100 engine rules" in e and "at most 64" in e for e in found), found


def test_requirement_names_may_carry_fact_values(write_ruleset: WriteRuleset) -> None:
    action = 'decide: {outcome: license_required, requirement: "chart.{i.line}", rationale: r}'
    rule = load_ruleset(write_ruleset(one_rule("      - item as i:", action))).rules[0]
    assert isinstance(rule.action, Decide) and rule.action.requirement is not None
    assert rule.action.requirement.refs == (Ref("i", "line"),)
    bad = 'decide: {outcome: license_required, requirement: "chart {i.line}", rationale: r}'
    assert any(
        "must match" in e for e in errors(write_ruleset(one_rule("      - item as i:", bad)))
    )
    wrong = "exception: {name: X, outcome: review, discharges: [a], rationale: r}"
    assert any(
        "an exception's outcome is `license_exception` or `no_license_required`" in e
        for e in errors(write_ruleset(one_rule("      - item as i:", wrong)))
    )
