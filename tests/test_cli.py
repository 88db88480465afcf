"""The command line: exit codes, formats, batches, and messages on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dualcontrol.cli import main

from .conftest import EXAMPLES, WriteRuleset

EXAMPLE = str(EXAMPLES / "oscilloscope-to-germany.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_a_json_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", EXAMPLE, "--ruleset", "starter")
    assert code == 0 and err == ""
    assert json.loads(out)["outcome"] == "no_license_required"


def test_check_text_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    _, text, _ = run(capsys, "check", EXAMPLE, "--format", "text")
    assert "line 10: no_license_required" in text
    _, markdown, _ = run(capsys, "check", EXAMPLE, "--format", "markdown")
    assert markdown.startswith("# Decision on case")


def test_check_reads_stdin_and_honours_as_of(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(Path(EXAMPLE).read_text()))
    code, out, _ = run(capsys, "check", "-", "--as-of", "2025-01-02")
    assert code == 0 and json.loads(out)["as_of"] == "2025-01-02"


def test_invalid_case_exits_2_naming_file_and_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, base_case: dict[str, Any]
) -> None:
    base_case["items"][0]["eccn"] = "3X999"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(base_case))
    code, out, err = run(capsys, "check", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}: $.items[0].eccn: `3X999` is not a valid ECCN" in err
    assert "Traceback" not in err


def test_missing_file_and_bad_ruleset_exit_2(
    capsys: pytest.CaptureFixture[str], write_ruleset: WriteRuleset
) -> None:
    code, _, err = run(capsys, "check", "nowhere.json")
    assert code == 2 and "nowhere.json: cannot read" in err
    directory = write_ruleset("rules: [{id: x}]\n")
    code, _, err = run(capsys, "check", EXAMPLE, "--ruleset", str(directory))
    assert code == 2 and "ruleset.yaml:7:9: a rule is missing required field `title`" in err
    code, _, err = run(capsys, "check", EXAMPLE, "--ruleset", "no-such-ruleset")
    assert code == 2 and "no ruleset `no-such-ruleset`" in err


def test_batch_keeps_order_and_reports_bad_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, base_case: dict[str, Any]
) -> None:
    second = json.loads(json.dumps(base_case))
    second["id"] = "SO-2"
    second["destination"] = "CU"
    broken = dict(base_case, id="SO-3", destination="ZZ")
    lines = [json.dumps(base_case), "{not json", json.dumps(broken), "", json.dumps(second)]
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "check", "--batch", str(batch), "--ruleset", "starter")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r.get("case") for r in records] == ["SO-2026-0042", None, "SO-3", "SO-2"]
    assert records[1]["line"] == 2 and "not valid JSON" in records[1]["problems"][0]
    assert records[2]["problems"] == ["$.destination: unknown country code `ZZ`"]
    assert records[3]["outcome"] == "prohibited"
    assert f"{batch}:3: invalid case" in err


def test_rulesets_lists_id_edition_and_digest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rulesets", "--format", "json")
    rows = json.loads(out)
    starter = next(r for r in rows if r["id"] == "starter")
    assert (
        code == 0 and starter["edition"] == "2026-11-26" and starter["digest"].startswith("sha256:")
    )
    _, text, _ = run(capsys, "rulesets")
    assert "starter  edition 2026-11-26" in text


def test_schema_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "case")
    assert code == 0 and json.loads(out)["title"] == "dualcontrol case (v1)"


def test_why_not_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", EXAMPLE, "--format", "text", "--why-not", "us-ear/red-flag")
    assert code == 0
    assert "why not us-ear/red-flag: no fact of type `red_flag` for pattern 1 (`f`)" in out
    code, _, err = run(capsys, "check", EXAMPLE, "--why-not", "nope")
    assert code == 2 and "no rule `nope`" in err


def test_internal_errors_exit_1_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("dualcontrol.cli.render", explode)
    code, _, err = run(capsys, "check", EXAMPLE)
    assert code == 1 and err == "dualcontrol: internal error: RuntimeError: boom\n"
