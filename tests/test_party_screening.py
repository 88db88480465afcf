"""Screening the parties of a case inside `Policy.check` and `dualcontrol check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dualcontrol import Policy, parse_case
from dualcontrol.cli import main
from dualcontrol.party_screening import screen_case
from dualcontrol.screening import Screener


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.demo()


def case_with(
    party: str, country: str, base: dict[str, Any], destination: str = "CN"
) -> dict[str, Any]:
    base = json.loads(json.dumps(base))
    base["destination"] = destination
    base["parties"] = [{"role": "end_user", "name": party, "country": country, "kind": "company"}]
    return base


def test_hits_become_case_hits_citing_their_snapshot(
    screener: Screener, base_case: dict[str, Any]
) -> None:
    case = parse_case(case_with("Borealis Quantum Devices Co., Ltd.", "CN", base_case))
    screened, record = screen_case(case, screener)
    (hit,) = [h for h in screened.screening if h.match]
    assert (hit.party, hit.list, hit.basis) == (0, "entity_list", "listed")
    assert hit.license_policy and "denial" in hit.license_policy.lower()
    assert hit.source.startswith("demo sha256:")
    assert record.algorithm.startswith("dualcontrol-screening/1")
    assert [s.dataset for s in record.snapshots] == ["demo"]
    again, _ = screen_case(screened, screener)
    assert again.screening == screened.screening


@pytest.mark.parametrize(
    ("party", "country", "outcome", "rule"),
    [
        ("Borealis Quantum Devices Co., Ltd.", "CN", "license_required", "entity-list"),
        ("Harbor Crest Export Services LLC", "US", "prohibited", "denied-person"),
        ("Golden Lotus Photonics Trading Company", "HK", "review", "unverified-list"),
        ("Borealis Devices International", "CN", "review", "screening.near-match"),
    ],
)
def test_the_us_ear_ruleset_decides_on_screening_hits(
    screener: Screener, base_case: dict[str, Any], party: str, country: str, outcome: str, rule: str
) -> None:
    policy = Policy.load(["us-ear"], screener=screener)
    decision = policy.check(case_with(party, country, base_case, destination="DE"))
    assert decision.outcome.value == outcome
    assert rule in {f.rule.rpartition("/")[2] for f in decision.reasons}
    data = json.loads(decision.to_json())
    assert data["screening"]["snapshots"][0]["dataset"] == "demo"


def test_no_screening_without_a_screener(base_case: dict[str, Any]) -> None:
    decision = Policy.load(["us-ear"]).check(
        case_with("Borealis Quantum Devices Co., Ltd.", "CN", base_case)
    )
    assert decision.screening is None and "screening" not in json.loads(decision.to_json())


def test_check_command_screens_with_the_demo_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, base_case: dict[str, Any]
) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_with("Aquilon Freight Forwarding GmbH", "DE", base_case, "DE")))
    assert main(["check", str(path), "--demo-lists"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["outcome"] == "prohibited"
    assert main(["check", str(path), "--no-screening"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "no_license_required"
    assert main(["check", str(path), "--lists", str(tmp_path / "none.sqlite3")]) == 2
    assert "no list store there" in capsys.readouterr().err


def test_check_command_uses_the_default_store_when_there_is_one(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    base_case: dict[str, Any],
) -> None:
    store = tmp_path / "lists.sqlite3"
    demo = Path(__file__).resolve().parents[1] / "src/dualcontrol/screening/data/demo-list.csv"
    assert main(["lists", "import", "--format", "csl", "--db", str(store), str(demo)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DUALCONTROL_LISTS", str(store))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_with("Aquilon Freight Forwarding GmbH", "DE", base_case, "DE")))
    assert main(["check", str(path)]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["outcome"] == "prohibited"
    assert decision["screening"]["snapshots"][0]["format"] == "csl"
