"""The one error hierarchy of dualcontrol.

Every error the library raises on purpose derives from `DualcontrolError`. Errors about user
input carry every problem found at once (`problems`), each with a location: a JSON path for a
case, `file:line:col` for a ruleset. Messages are lowercase, quote user input in backticks and
have no trailing period.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs

__all__ = [
    "CaseError",
    "DualcontrolError",
    "EngineError",
    "ListError",
    "Problem",
    "RulesetError",
    "suggest",
]


@attrs.frozen
class Problem:
    """One thing wrong with an input, with where it is.

    `path` is a JSON path (`$.items[0].eccn`) for JSON input; `file`, `line` and `column`
    (1-based) locate it in a text file. Either, both or neither may be set.
    """

    message: str
    path: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        """Where the problem is, as `file:line:col`, a JSON path, or both."""
        parts: list[str] = []
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path is not None:
            parts.append(self.path)
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class DualcontrolError(Exception):
    """Base of every error raised by dualcontrol on purpose."""


class _ProblemsError(DualcontrolError):
    """An error made of one or more located problems, all reported at once."""

    kind = "input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            msg = "an error needs at least one problem"
            raise ValueError(msg)
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"invalid {self.kind}: {len(self.problems)} problem"
        head += "" if len(self.problems) == 1 else "s"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class CaseError(_ProblemsError):
    """A case (one export transaction) does not follow the JSON contract.

    Each problem names the JSON path of the offending value.
    """

    kind = "case"


class RulesetError(_ProblemsError):
    """A ruleset cannot be loaded or cannot be run safely.

    Each problem is located as `file:line:col` where the file gives a position.
    """

    kind = "ruleset"


class ListError(_ProblemsError):
    """A restricted-party list file cannot be imported."""

    kind = "list"


class EngineError(DualcontrolError):
    """The rule engine failed while evaluating a case.

    Never escapes `Policy.check`: a fault becomes a `review` decision carrying this message.
    """


def suggest(word: str, choices: Iterable[str]) -> str:
    """`: did you mean `x`?` for the closest of `choices` to a misspelt `word`, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f": did you mean `{close[0]}`?" if close else ""
