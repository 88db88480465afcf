"""Shared fixtures: a base case, and a helper that writes a ruleset directory."""

from __future__ import annotations

import copy
import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"

settings.register_profile(
    "default",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

HEADER = """\
schema: 1
id: {id}
title: test ruleset
jurisdiction: test
edition: 2026-01-01
source: tests
"""


@pytest.fixture(autouse=True)
def no_default_list_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests hermetic: a list store at the user's default location must not screen the
    parties of test cases."""
    absent = tmp_path_factory.getbasetemp() / "no-default-store" / "lists.sqlite3"
    monkeypatch.setenv("DUALCONTROL_LISTS", str(absent))


@pytest.fixture
def base_case() -> dict[str, Any]:
    """The case of the JSON contract's example (a fresh copy per test)."""
    data: dict[str, Any] = json.loads((EXAMPLES / "oscilloscope-to-germany.json").read_text())
    return copy.deepcopy(data)


WriteRuleset = Callable[..., Path]


@pytest.fixture
def write_ruleset(tmp_path: Path) -> WriteRuleset:
    """Write `ruleset.yaml` (header + `body`), optional `rules/*.yaml` and table files into a
    fresh directory named `ruleset_id`; returns the directory."""

    def write(
        body: str = "",
        *,
        ruleset_id: str = "test",
        rule_files: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        directory = tmp_path / ruleset_id
        directory.mkdir(parents=True, exist_ok=True)
        text = HEADER.format(id=ruleset_id) + textwrap.dedent(body)
        (directory / "ruleset.yaml").write_text(text, encoding="utf-8")
        for name, content in (rule_files or {}).items():
            (directory / "rules").mkdir(exist_ok=True)
            (directory / "rules" / name).write_text(textwrap.dedent(content), encoding="utf-8")
        for name, content in (files or {}).items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return directory

    return write
