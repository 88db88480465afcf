"""The `lists` and `screen` commands: exit codes, messages, JSON shape."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from dualcontrol.screening import Screener
from dualcontrol.screening.cli import main, register, run_screen

EL_CSV = (
    "source,entity_number,type,name,addresses,alt_names,start_date\n"
    'Entity List (EL) - Bureau of Industry and Security,,Entity,Acme Optics Ltd.,"1 Main St, '
    'Shenzhen, CN",Acme Photonics,2020-01-02\n'
)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def el_file(tmp_path: Path) -> Path:
    path = tmp_path / "el.csv"
    path.write_text(EL_CSV, encoding="utf-8")
    return path


def test_register_adds_lists_and_screen_with_run_functions() -> None:
    parser = argparse.ArgumentParser(prog="dualcontrol")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["screen", "--demo", "Acme"])
    assert args.func is run_screen
    args = parser.parse_args(["lists", "import", "--format", "csl", "x.csv"])
    assert args.func.__name__ == "run_lists_import"
    assert args.list_format == "csl"


def test_import_show_and_screen_against_a_store(
    el_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "lists.sqlite3")
    code, out, err = _run(
        ["lists", "import", "--format", "csl", "--db", db, "--date", "2026-01-05", str(el_file)],
        capsys,
    )
    assert (code, err) == (0, "")
    assert "imported dataset `csl` as snapshot 1: 1 entries" in out
    code, out, _ = _run(["lists", "import", "--format", "csl", "--db", db, str(el_file)], capsys)
    assert code == 0
    assert "content identical to current snapshot 1" in out
    code, out, _ = _run(["lists", "show", "--db", db], capsys)
    assert code == 0
    header, row = out.splitlines()[1:]
    assert header.split() == [
        "dataset",
        "snapshot",
        "current",
        "format",
        "list",
        "date",
        "entries",
        "digest",
        "imported",
    ]
    assert row.split()[:6] == ["csl", "1", "*", "csl", "2026-01-05", "1"]
    code, out, _ = _run(["screen", "--db", db, "Acme Optics Limited", "Fraunhofer IAF"], capsys)
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["query"] == "Acme Optics Limited"
    assert [h["match"] for h in first["hits"]] == [True]
    assert second["hits"] == []
    assert first["snapshots"][0]["dataset"] == "csl"


def test_reimport_prints_the_changes(
    el_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "lists.sqlite3")
    assert main(["lists", "import", "--format", "csl", "--db", db, str(el_file)]) == 0
    el_file.write_text(EL_CSV.replace("Acme Photonics", "Acme Lasers"), encoding="utf-8")
    capsys.readouterr()
    code, out, _ = _run(["lists", "import", "--format", "csl", "--db", db, str(el_file)], capsys)
    assert code == 0
    assert "0 added, 1 changed, 0 removed, 0 unchanged since snapshot 1" in out
    assert "changed: EL-" in out


def test_screen_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["screen", "--demo", "Borealis Quantum Devices"], capsys)
    assert (code, err) == (0, "")
    (line,) = out.splitlines()
    result = json.loads(line)
    assert {"query", "hits"} <= set(result)
    hit = result["hits"][0]
    assert set(hit) >= {"list", "entry_id", "name", "matched_name", "score", "match", "explanation"}
    assert (hit["list"], hit["match"], hit["score"]) == ("EL", True, 1.0)
    assert hit["explanation"]["tokens"][0] == {
        "query": "borealis",
        "listed": "borealis",
        "how": "exact",
        "similarity": 1.0,
        "weight": 1.0,
    }
    code, out, _ = _run(["screen", "--demo", "Zephyrine"], capsys)
    scores = [h["score"] for h in json.loads(out)["hits"]]
    assert code == 0 and len(scores) >= 2
    assert scores == sorted(scores, reverse=True)


def test_screen_batch_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "names.txt"
    batch.write_text("Harbor Crest Export Services\n\nNobody In Particular\n", encoding="utf-8")
    code, out, _ = _run(["screen", "--demo", "--format", "text", "--batch", str(batch)], capsys)
    assert code == 0
    assert "MATCH 1.000  DPL" in out
    assert "Nobody In Particular\n  no hits" in out
    assert out.count("screened against demo sha256:") == 2


def test_bad_list_file_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("source,name\nEntity List (EL) - BIS,\nEntity List (EL) - BIS,Ok\n", "utf-8")
    db = str(tmp_path / "lists.sqlite3")
    code, out, err = _run(["lists", "import", "--format", "csl", "--db", db, str(bad)], capsys)
    assert (code, out) == (2, "")
    assert f"{bad}:2: empty `name`" in err
    assert "Traceback" not in err
    code, _, err = _run(["lists", "import", "--format", "csl", "--db", db, "nope.csv"], capsys)
    assert (code, err) == (2, "error: no such file `nope.csv`\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["screen", "--demo", "--threshold", "2", "x"], "threshold `2.0` is not between 0 and 1"),
        (["screen", "--demo"], "nothing to screen"),
        (["screen", "--demo", "--country", "ZZ", "x"], "unknown country code `ZZ`"),
    ],
)
def test_bad_screen_input_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(argv, capsys)
    assert (code, out) == (2, "")
    assert message in err


def test_screen_without_a_store_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "none.sqlite3")
    code, _, err = _run(["screen", "--db", missing, "Acme"], capsys)
    assert code == 2
    assert f"no list store at `{missing}`" in err
    code, _, err = _run(["lists", "show", "--db", missing], capsys)
    assert code == 2


def test_batch_file_that_is_not_utf8_exits_2_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "names.txt"
    batch.write_bytes(b"Good Name\nBad \xff Name\n")
    code, _, err = _run(["screen", "--demo", "--batch", str(batch)], capsys)
    assert code == 2
    assert f"{batch}:2: not valid UTF-8" in err


def test_an_unexpected_failure_exits_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: Screener, name: str, **_: object) -> None:
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(Screener, "screen", broken)
    code, _, err = _run(["screen", "--demo", "Acme"], capsys)
    assert code == 1
    assert err == "internal error: RuntimeError: index corrupted\n"
