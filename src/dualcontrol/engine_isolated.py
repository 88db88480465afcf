"""The durable-rules engine in a worker process: a crash or a hang cannot take the caller down.

The adapter contains every defect of durable-rules that was found, but the C core may have
others. `IsolatedEngine` runs a `DurableEngine` in a child process: if the child dies (a
segmentation fault) or an evaluation exceeds its time limit, the child is replaced and the
evaluation fails with `EngineError`, which the policy turns into `review`. The price is the
round trip to the child (about a tenth of a millisecond) and a fresh interpreter per program.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from .errors import EngineError
from .facts import Fact
from .run import RunResult
from .tree import Ruleset

__all__ = ["DEFAULT_TIMEOUT", "IsolatedEngine"]

DEFAULT_TIMEOUT = 10.0
"""Seconds an evaluation may take in the worker before it is stopped (then: `review`)."""


def _serve(connection: Connection, ruleset: Ruleset, day: dt.date) -> None:
    """The worker: compile the program, then evaluate every request until told to stop."""
    from .compile import compile_program
    from .engine_durable import DurableEngine

    try:
        engine = DurableEngine(compile_program(ruleset, day))
    except EngineError as error:
        connection.send(("error", str(error)))
        return
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        facts, shared = request
        try:
            connection.send(("ok", engine.run(facts, shared)))
        except EngineError as error:
            connection.send(("error", str(error)))


class IsolatedEngine:
    """A `DurableEngine` for one program, run in its own process."""

    def __init__(self, ruleset: Ruleset, day: dt.date, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.ruleset = ruleset
        self.day = day
        self.timeout = timeout
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        with self._lock:
            self._start()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child, self.ruleset, self.day), daemon=True
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        status, detail = self._receive(max(self.timeout, 60.0))
        if status != "ready":
            self._stop()
            raise EngineError(str(detail))

    def _receive(self, timeout: float) -> tuple[str, Any]:
        assert self._connection is not None and self._process is not None
        try:
            if not self._connection.poll(timeout):
                msg = f"evaluation stopped: no answer from the engine within {timeout:g} s"
                raise EngineError(msg)
            status, payload = self._connection.recv()
        except (EOFError, OSError, ConnectionError):
            self._process.join(1.0)
            code = self._process.exitcode
            msg = f"the engine process ended unexpectedly (exit code {code})"
            raise EngineError(msg) from None
        return str(status), payload

    def _stop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, ValueError):
                self._connection.send(None)
            self._connection.close()
        if self._process is not None:
            self._process.join(0.5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._process, self._connection = None, None

    def close(self) -> None:
        """Stop the worker."""
        with self._lock:
            self._stop()

    def run(self, facts: tuple[Fact, ...], shared: tuple[Fact, ...] = ()) -> RunResult:
        """Evaluate in the worker; `EngineError` if it fails, dies or takes too long (the
        worker is then replaced)."""
        with self._lock:
            if self._connection is None:
                self._start()
            assert self._connection is not None
            try:
                self._connection.send((facts, shared))
                status, payload = self._receive(self.timeout)
            except (EngineError, OSError, ValueError) as error:
                self._stop()
                if isinstance(error, EngineError):
                    raise
                msg = f"the engine process could not be reached: {error}"
                raise EngineError(msg) from None
            if status != "ok":
                raise EngineError(str(payload))
            result: RunResult = payload
            return result
