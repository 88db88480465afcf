"""Data tables: typed columns, unpivoting, ignored columns, selection and missing values."""

from __future__ import annotations

from typing import Any

import pytest

from dualcontrol import Policy, RulesetError, load_ruleset

from .conftest import WriteRuleset

WIDE = """\
tables:
  marks:
    file: chart.csv
    columns: {code: country}
    ignore: [name, footnotes]
    unpivot: {columns: [NS1, NS2, AT1], name: column, value: mark}
    select: {code: [case.destination]}
  rows:
    file: chart.csv
    columns: {code: country, name: string, footnotes: string}
    ignore: [NS1, NS2, AT1]
    select: {code: [case.destination]}
rules:
  - id: marked
    title: a marked column
    cite: c
    when:
      - marks as m: {column: NS2}
    decide: {outcome: license_required, rationale: "{m.code} {m.column} {m.mark}"}
  - id: unknown-destination
    title: a destination not in the chart
    cite: c
    when:
      - missing as x: {table: rows, column: code}
    decide:
      outcome: review
      open: "add the destination"
      rationale: "{x.value} is not in the chart"
  - id: row
    title: the destination's row
    cite: c
    when:
      - rows as r: {footnotes: {exists: true}}
    decide: {outcome: review, rationale: "{r.name} has footnotes {r.footnotes}"}
"""
CHART = """\
code,name,NS1,NS2,AT1,footnotes
CN,China,X,X,,
DE,Germany,X,,,3
CA,Canada,,,,
"""


@pytest.fixture
def policy(write_ruleset: WriteRuleset) -> Policy:
    return Policy([load_ruleset(write_ruleset(WIDE, files={"chart.csv": CHART}))])


def test_unpivot_turns_marked_cells_into_rows(policy: Policy) -> None:
    (table, _) = policy.rulesets[0].tables
    assert [dict(row) for row in table.rows] == [
        {"code": "CN", "column": "NS1", "mark": "X"},
        {"code": "CN", "column": "NS2", "mark": "X"},
        {"code": "DE", "column": "NS1", "mark": "X"},
    ]
    assert [name for name, _ in table.fact_type.fields] == ["code", "column", "mark"]


def test_ignored_columns_are_not_read(policy: Policy) -> None:
    (_, rows) = policy.rulesets[0].tables
    assert dict(rows.rows[1]) == {"code": "DE", "footnotes": "3", "name": "Germany"}


@pytest.mark.parametrize(
    ("destination", "outcome", "rules"),
    [
        ("CN", "license_required", {"marked"}),
        ("DE", "review", {"row"}),
        ("CA", "review", {"undecided"}),
        ("FR", "review", {"unknown-destination"}),
    ],
)
def test_selected_rows_and_missing_values(
    policy: Policy, base_case: dict[str, Any], destination: str, outcome: str, rules: set[str]
) -> None:
    decision = policy.check(dict(base_case, destination=destination))
    fired = {f.rule.rpartition("/")[2] for f in decision.reasons}
    if not decision.reasons:
        fired = {f.rpartition("/")[2] for o in decision.open_items for f in o.findings}
    assert decision.outcome.value == outcome and fired == rules


def test_missing_facts_name_table_column_and_value(
    policy: Policy, base_case: dict[str, Any]
) -> None:
    decision = policy.check(dict(base_case, destination="FR"))
    (finding,) = decision.reasons
    (fact,) = finding.facts
    assert fact.key == "missing:rows:code:FR"
    assert dict(fact.fields) == {"column": "code", "table": "rows", "value": "FR"}


def test_table_shape_errors(write_ruleset: WriteRuleset) -> None:
    body = WIDE.replace("ignore: [name, footnotes]", "ignore: [name]").replace(
        "name: column, value: mark", "name: code, value: mark"
    )
    with pytest.raises(RulesetError) as caught:
        load_ruleset(write_ruleset(body, files={"chart.csv": CHART}))
    messages = [p.message for p in caught.value.problems]
    assert "unpivot field `code` is already a column of the table" in messages
    assert "column `footnotes` is not declared in the table" in messages


def test_column_defaults_fill_empty_cells(write_ruleset: WriteRuleset) -> None:
    body = """\
tables:
  windows:
    file: windows.csv
    columns:
      country: country
      since: {type: date, default: 0001-01-01}
      until: {type: date, default: 9999-12-31}
"""
    rows = "country,since,until\nDE,2020-01-01,\nFR,,2021-01-01\n"
    (table,) = load_ruleset(write_ruleset(body, files={"windows.csv": rows})).tables
    assert [dict(r) for r in table.rows] == [
        {"country": "DE", "since": 20200101, "until": 99991231},
        {"country": "FR", "since": 10101, "until": 20210101},
    ]


def test_defaults_are_typed_and_only_for_tables(write_ruleset: WriteRuleset) -> None:
    body = """\
facts:
  risk:
    fields: {level: {type: string, default: low}}
tables:
  windows:
    file: windows.csv
    columns: {since: {type: date, default: soon}}
"""
    with pytest.raises(RulesetError) as caught:
        load_ruleset(write_ruleset(body, files={"windows.csv": "since\n\n"}))
    messages = [p.message for p in caught.value.problems]
    assert "unknown field `default` in field `level`" in messages[0]
    assert any("default of `since` must be a date" in m for m in messages)
