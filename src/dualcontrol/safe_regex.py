"""The safe regular-expression subset of the rule language, and its two renderings.

Rule files may use `matches` with a small, documented subset: literal characters, `\\` to
escape a metacharacter, `.`, character classes `[a-z0-9]` and `[^...]`, the repeats `*`, `+`,
`?`, alternation `|` and groups `( )`. A pattern must match the whole value. There are no
back-references, look-arounds or nested quantifiers over unbounded text, so matching is linear
(durable-rules compiles it to a DFA; Python's engine gets a translation of the same tree).

durable-rules matches against the JSON-escaped text of a string, where `"` and `\\` are
preceded by a backslash. So that both engines agree, neither character may appear in a
pattern, and `.` and negated classes never match them.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["MAX_PATTERN_LENGTH", "RegexError", "SafeRegex", "escape_durable", "parse"]

MAX_PATTERN_LENGTH = 200
_META = set(".|*+?()[]{}\\")
_DURABLE_META = set(".|*+?()[]{}%")
_FORBIDDEN = {'"', "\\"}
_CLASS_SPECIAL = set("%]-^[")


class RegexError(ValueError):
    """A pattern outside the safe subset; the message says where."""


@attrs.frozen
class SafeRegex:
    """A parsed pattern, rendered for durable-rules (`$mt`) and for Python's `re`."""

    source: str
    durable: str
    python: re.Pattern[str]


def escape_durable(text: str) -> str:
    """`text` as a literal in durable-rules' regex dialect (metacharacters escaped with `%`)."""
    return "".join(f"%{c}" if c in _DURABLE_META else c for c in text)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def fail(self, message: str) -> RegexError:
        return RegexError(f"{message} at position {self.pos + 1} of `{self.source}`")

    def peek(self) -> str | None:
        return self.source[self.pos] if self.pos < len(self.source) else None

    def take(self) -> str:
        char = self.source[self.pos]
        self.pos += 1
        return char

    def alternation(self) -> tuple[str, str]:
        durable, python = self.sequence()
        while self.peek() == "|":
            self.take()
            d, p = self.sequence()
            durable, python = f"{durable}|{d}", f"{python}|{p}"
        return durable, python

    def sequence(self) -> tuple[str, str]:
        durable: list[str] = []
        python: list[str] = []
        while self.peek() not in (None, "|", ")"):
            d, p = self.repeat()
            durable.append(d)
            python.append(p)
        if not durable:
            raise self.fail("empty alternative")
        return "".join(durable), "".join(python)

    def repeat(self) -> tuple[str, str]:
        durable, python = self.atom()
        if self.peek() in ("*", "+", "?"):
            op = self.take()
            if self.peek() in ("*", "+", "?"):
                raise self.fail("repeated quantifier")
            durable, python = durable + op, python + op
        return durable, python

    def atom(self) -> tuple[str, str]:
        char = self.take()
        if char == "(":
            durable, python = self.alternation()
            if self.peek() != ")":
                raise self.fail("unclosed group")
            self.take()
            return f"({durable})", f"(?:{python})"
        if char == ".":
            return '[^"\\]', '[^"\\\\]'
        if char == "[":
            return self.char_class()
        if char == "\\":
            if self.peek() is None or self.peek() not in _META - {"\\"}:
                raise self.fail("`\\` must escape one of . | * + ? ( ) [ ] { }")
            literal = self.take()
            return escape_durable(literal), re.escape(literal)
        if char in ("*", "+", "?"):
            raise self.fail(f"`{char}` has nothing to repeat")
        if char in (")", "]", "{", "}"):
            raise self.fail(f"unexpected `{char}`")
        return self.literal(char)

    def literal(self, char: str) -> tuple[str, str]:
        if char in _FORBIDDEN or ord(char) < 0x20 or ord(char) == 0x7F:
            raise self.fail(f"character {char!r} is not allowed")
        return escape_durable(char), re.escape(char)

    def class_char(self) -> str:
        char = self.peek()
        if char is None:
            raise self.fail("unclosed character class")
        self.take()
        if char == "\\":
            escaped = self.peek()
            if escaped is None or escaped not in "]-^[":
                raise self.fail("inside `[ ]`, `\\` may only escape ] - ^ [")
            return self.take()
        if char in _FORBIDDEN or ord(char) < 0x20 or ord(char) == 0x7F:
            raise self.fail(f"character {char!r} is not allowed")
        return char

    def char_class(self) -> tuple[str, str]:
        negated = self.peek() == "^"
        if negated:
            self.take()
        ranges: list[tuple[str, str]] = []
        while self.peek() != "]":
            if self.peek() is None:
                raise self.fail("unclosed character class")
            low = self.class_char()
            high = low
            if (
                self.peek() == "-"
                and self.pos + 1 < len(self.source)
                and self.source[self.pos + 1] != "]"
            ):
                self.take()
                high = self.class_char()
                if ord(high) < ord(low):
                    raise self.fail(f"range `{low}-{high}` is reversed")
            ranges.append((low, high))
        self.take()
        if not ranges:
            raise self.fail("empty character class")
        if negated:
            ranges += [('"', '"'), ("\\", "\\")]

        for low, high in ranges:
            if low != high and (low in _CLASS_SPECIAL or high in _CLASS_SPECIAL):
                raise self.fail(f"a range may not start or end with `{low}` or `{high}`")
        singles = [lo for lo, hi in ranges if lo == hi]
        spans = [f"{lo}-{hi}" for lo, hi in ranges if lo != hi]
        plain = [c for c in singles if c not in "-^"]
        durable = "".join(spans) + "".join(f"%{c}" if c in "%][" else c for c in plain)
        if "^" in singles:
            durable = (durable + "^") if durable else "^"
        if "-" in singles:
            durable += "-"
        python = "".join(
            re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in ranges
        )
        if not negated and durable == "^":
            return "^", re.escape("^")
        caret = "^" if negated else ""
        return f"[{caret}{durable}]", f"[{caret}{python}]"


def parse(source: str) -> SafeRegex:
    """Parse `source` in the safe subset; `RegexError` explains what is not allowed."""
    if not source:
        msg = "an empty pattern is not allowed"
        raise RegexError(msg)
    if len(source) > MAX_PATTERN_LENGTH:
        msg = f"pattern longer than {MAX_PATTERN_LENGTH} characters"
        raise RegexError(msg)
    parser = _Parser(source)
    durable, python = parser.alternation()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected `{parser.peek()}`")
    return SafeRegex(source, durable, re.compile(python, re.DOTALL))
