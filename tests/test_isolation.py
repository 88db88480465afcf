"""The engine in a worker process: a crash or a hang in durable-rules gives `review`."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from dualcontrol import Policy, load_ruleset, parse_case
from dualcontrol.cli import main
from dualcontrol.engine_durable import DurableEngine
from dualcontrol.engine_isolated import IsolatedEngine
from dualcontrol.errors import EngineError
from dualcontrol.facts import Fact, case_facts
from dualcontrol.run import RunResult

from .conftest import EXAMPLES


def _forbid_in_process_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the in-process engine fail: a worker (spawned, so unpatched) must do the work."""

    def refuse(*_: object) -> RunResult:
        raise AssertionError("the in-process engine was used")

    monkeypatch.setattr(DurableEngine, "run", refuse)


def test_isolated_decisions_equal_in_process_ones(
    base_case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = parse_case(base_case)
    expected = Policy.load(["us-ear"]).check(case).to_json()
    isolated = Policy.load(["us-ear"], isolate=True)
    _forbid_in_process_runs(monkeypatch)
    try:
        assert isolated.check(case).to_json() == expected
    finally:
        isolated.close()


class _Dies:
    """Unpickled in the worker, it ends the worker's process at once, as a crash would."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (os._exit, (139,))


class _Hangs:
    """Unpickled in the worker, it blocks it for longer than the time limit."""

    def __reduce__(self) -> tuple[Any, tuple[float]]:
        return (time.sleep, (30.0,))


def test_a_crash_or_a_hang_in_the_worker_is_an_engine_error(base_case: dict[str, Any]) -> None:
    case = parse_case(base_case)
    ruleset = load_ruleset("starter")
    engine = IsolatedEngine(ruleset, case.date, timeout=2)
    facts = case_facts(case, case.date)
    try:
        expected = engine.run(facts)
        with pytest.raises(EngineError, match=r"ended unexpectedly \(exit code 139\)"):
            engine.run((_Dies(),))  # type: ignore[arg-type]
        assert engine.run(facts) == expected
        with pytest.raises(EngineError, match="no answer from the engine within 2 s"):
            engine.run((_Hangs(),))  # type: ignore[arg-type]
        assert engine.run(facts) == expected
        with pytest.raises(EngineError, match="longer than"):
            engine.run((Fact("case", "case", (("end_use_text", "é" * 40_000),)),))
    finally:
        engine.close()


def test_check_command_isolate_flag(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    timeouts: list[float] = []
    start = IsolatedEngine.__init__

    def recording(self: IsolatedEngine, ruleset: Any, day: Any, *, timeout: float) -> None:
        timeouts.append(timeout)
        start(self, ruleset, day, timeout=timeout)

    monkeypatch.setattr(IsolatedEngine, "__init__", recording)
    _forbid_in_process_runs(monkeypatch)
    example = str(EXAMPLES / "oscilloscope-to-germany.json")
    assert main(["check", example, "--isolate", "--timeout", "30"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "no_license_required"
    assert timeouts == [30.0]
