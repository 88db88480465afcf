"""The us-ear tables: pinned against the official text, and checked for internal consistency.

The marks pinned below were read from the flattened bis.gov text of Supp. No. 1 to Part 738
(see rulesets/us-ear/SOURCES.md); the CCL samples from the License Requirements of each entry.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dualcontrol import load_ruleset
from dualcontrol.vocab import COUNTRIES, ECCN_PATTERN

TABLES = Path(__file__).resolve().parents[1] / "rulesets" / "us-ear" / "tables"
COLUMNS = [
    "CB1",
    "CB2",
    "CB3",
    "NP1",
    "NP2",
    "NS1",
    "NS2",
    "MT1",
    "RS1",
    "RS2",
    "FC1",
    "CC1",
    "CC2",
    "CC3",
    "AT1",
    "AT2",
]


def rows(name: str) -> list[dict[str, str]]:
    with (TABLES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def marks(code: str) -> set[str]:
    (row,) = [r for r in rows("country_chart.csv") if r["code"] == code]
    return {c for c in COLUMNS if row[c] == "X"}


def test_the_ruleset_loads() -> None:
    ruleset = load_ruleset("us-ear")
    assert ruleset.edition.isoformat() == "2026-07-23"
    assert ruleset.exporter_countries == ("US",)
    assert all(rule.cite for rule in ruleset.rules)


def test_country_chart_shape() -> None:
    chart = rows("country_chart.csv")
    assert len(chart) == 200
    assert list(chart[0]) == ["code", "name", *COLUMNS, "part746", "footnotes"]
    assert all(r["code"] in COUNTRIES for r in chart)
    assert len({r["code"] for r in chart}) == 200
    per_column = Counter(c for r in chart for c in COLUMNS if r[c] == "X")
    assert per_column["AT1"] == per_column["AT2"] == 0
    assert all(per_column[c] > 0 for c in COLUMNS[:-2])
    assert Counter(len([c for c in COLUMNS if r[c]]) for r in chart)[0] == 4


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AF", "CB1 CB2 CB3 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC3"),
        ("AL", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2"),
        ("DZ", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC3"),
        ("AD", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC3"),
        ("AO", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC3"),
        ("AG", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 FC1 CC1 CC3"),
        ("AR", "CB1 NS1 MT1 RS1 FC1 CC1 CC3"),
        ("AM", "CB1 CB2 CB3 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC2"),
        ("AW", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC3"),
        ("AU", "CB1"),
        ("AT", "CB1 NS1 MT1 RS1"),
        ("AZ", "CB1 CB2 CB3 NP1 NS1 NS2 MT1 RS1 RS2 CC1 CC2"),
        ("BS", "CB1 CB2 NP1 NS1 NS2 MT1 RS1 RS2 FC1 CC1 CC3"),
    ],
)
def test_marks_read_from_the_official_text(code: str, expected: str) -> None:
    assert marks(code) == set(expected.split())


def test_referral_rows_refer_to_part_746_and_mark_nothing() -> None:
    referrals = {r["code"]: r["part746"] for r in rows("country_chart.csv") if r["part746"]}
    assert referrals == {"CU": "746.2", "IR": "746.7", "KP": "742.19;746.4", "SY": "746.9"}
    assert all(marks(code) == set() for code in referrals)


def test_footnotes_that_change_decisions() -> None:
    carried = {(r["code"], r["number"]) for r in rows("chart_footnotes.csv")}
    assert {
        ("IN", "7"),
        ("RU", "6"),
        ("BY", "6"),
        ("UA", "9"),
        ("AU", "10"),
        ("GB", "10"),
    } <= carried
    assert "RS2" not in marks("IN")
    india = {
        (r["scope"], r["reason"]) for r in rows("special_controls.csv") if r["country"] == "IN"
    }
    assert india == {("6A003.b.4.b", "RS"), ("9A515.e", "RS")}
    assert marks("CA") == {"CB1", "FC1"}
    assert "HK" not in {r["code"] for r in rows("country_chart.csv")}


def test_country_groups() -> None:
    groups = Counter(r["group"] for r in rows("country_groups.csv"))
    assert groups["E:1"] == 3 and groups["E:2"] == 1 and groups["B"] == 173
    members = {(r["code"], r["group"]) for r in rows("country_groups.csv")}
    assert {("IR", "E:1"), ("KP", "E:1"), ("SY", "E:1"), ("CU", "E:2")} <= members
    assert ("NI", "B") not in members and ("NI", "D:1") in members  # 89 FR 18780
    assert ("MO", "D:5") not in members


def test_ccl_entries_and_controls() -> None:
    entries = rows("ccl_entries.csv")
    assert len(entries) == 638
    controls = rows("ccl_controls.csv")
    with_requirements = {e["eccn"] for e in entries if e["requirements"] == "yes"}
    assert with_requirements <= {c["eccn"] for c in controls}
    for control in controls:
        assert ECCN_PATTERN.fullmatch(control["scope"]), control
        assert control["scope"].split(".")[0] == control["eccn"], control
        assert control["kind"] in {"chart", "destinations", "covered", "review"}
        if control["kind"] == "chart":
            assert control["column"] in COLUMNS and control["column"][:2] == control["reason"]
        parts = control["scope"].split(".")
        expected = [".".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        assert [control[f"anc{i}"] for i in range(1, 6) if control[f"anc{i}"]] == expected


@pytest.mark.parametrize(
    ("eccn", "expected"),
    [
        (
            "3A001",
            {
                ("NS", "NS2", "3A001"),
                ("NS", "NS1", "3A001.b.2"),
                ("NS", "NS1", "3A001.b.3"),
                ("RS", "RS1", "3A001.b.2"),
                ("MT", "MT1", "3A001.a.1.a"),
                ("NP", "NP1", "3A001.e.2"),
                ("AT", "AT1", "3A001"),
            },
        ),
        ("2B001", {("NS", "NS2", "2B001"), ("AT", "AT1", "2B001")}),
        ("3A992", {("AT", "AT1", "3A992")}),
        ("5A002", {("NS", "NS1", "5A002"), ("AT", "AT1", "5A002")}),
    ],
)
def test_ccl_samples(eccn: str, expected: set[tuple[str, str, str]]) -> None:
    found = {
        (c["reason"], c["column"], c["scope"])
        for c in rows("ccl_controls.csv")
        if c["eccn"] == eccn
    }
    assert expected <= found


def test_all_destination_controls() -> None:
    sets = {
        (c["eccn"], c["destinations"])
        for c in rows("ccl_controls.csv")
        if c["kind"] == "destinations"
    }
    assert {("0A981", "all"), ("0A982", "all_except_CA"), ("0A503", "all_except_CA")} <= sets
    assert {("5A980", "all"), ("5D980", "all"), ("5E980", "all")} <= sets
    members = {(r["set"], r["country"]) for r in rows("destination_sets.csv")}
    assert ("all", "CA") in members and ("all_except_CA", "CA") not in members
    assert {
        ("north_korea", "KP"),
        ("pakistan", "PK"),
        ("macau_D5", "MO"),
        ("macau_D5", "CN"),
    } <= members


def test_exclusions_are_derived_from_the_control_notes() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "us_ear_exclusions.py"
    done = subprocess.run(
        [sys.executable, str(tool), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    excluded = {(r["eccn"], r["reason"], r["excluded"]) for r in rows("ccl_exclusions.csv")}
    assert {("9A515", "NS", "9A515.x"), ("0A501", "FC", "0A501.y")} <= excluded


def test_lvs_and_gbs() -> None:
    lvs = {(r["scope"], r["lvs"]) for r in rows("lvs.csv") if not r["condition"]}
    assert {("3A001.c", "1500"), ("3A001.b.1", "3000"), ("3A001.b.4", "5000")} <= lvs
    assert all(re.fullmatch(r"[0-9]+", r["lvs"]) for r in rows("lvs.csv"))
    assert {r["eccn"] for r in rows("gbs.csv")} and all(
        ECCN_PATTERN.fullmatch(r["scope"]) for r in rows("gbs.csv")
    )


def test_part_744_and_746_tables() -> None:
    meu = {(r["country"], r["items"], r["since"]) for r in rows("meu_countries.csv")}
    assert ("NI", "supp2", "2024-03-15") in meu and ("BY", "all", "2022-03-02") in meu
    items = rows("meu_items.csv")
    assert len({r["note"] for r in items}) == 52  # the listings of Supp. No. 2
    assert all(ECCN_PATTERN.fullmatch(r["scope"]) for r in items)
    assert {"5A991.a", "5A991.b.7", "5A991.f"} <= {r["scope"] for r in items}
    embargoed = {r["country"] for r in rows("embargoes.csv")}
    assert embargoed == {"CU", "IR", "KP", "SY", "RU", "BY", "UA"}
