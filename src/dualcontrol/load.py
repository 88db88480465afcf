"""Load: read a ruleset's files into located nodes, without judging them.

YAML is composed (never constructed into arbitrary objects: only the safe scalar types) into
`Node`s that remember their `file:line:col`, so the checker can point at any value. CSV tables
are read into rows that remember their line and each cell's column. Syntax errors are reported
as located problems; meaning is the checker's job.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import attrs
import yaml

from .errors import Problem
from .tree import Location

__all__ = ["CsvRow", "Node", "read_csv", "read_yaml"]


@attrs.frozen
class Node:
    """A YAML value with its location.

    `kind` is `map` (value: tuple of (key node, value node) pairs, in file order), `seq`
    (value: tuple of nodes) or `scalar` (value: str, int, float, bool, date or None).
    """

    kind: str
    value: object
    location: Location

    def pairs(self) -> tuple[tuple[Node, Node], ...]:
        """The (key, value) pairs of a mapping node."""
        assert self.kind == "map"
        return self.value  # type: ignore[return-value]

    def items(self) -> tuple[Node, ...]:
        """The members of a sequence node."""
        assert self.kind == "seq"
        return self.value  # type: ignore[return-value]


def _location(mark: yaml.Mark, file: str) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


def _convert(node: yaml.Node, loader: yaml.SafeLoader, file: str, problems: list[Problem]) -> Node:
    where = _location(node.start_mark, file)
    if node.tag not in _STANDARD_TAGS:
        problems.append(problem_at(where, f"YAML tag `{node.tag}` is not allowed in rule files"))
        return Node("scalar", None, where)
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[Node, Node]] = []
        seen: dict[object, Location] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, file, problems)
            if key.kind == "scalar" and isinstance(key.value, str | int | bool):
                if key.value in seen:
                    problems.append(
                        problem_at(
                            key.location,
                            f"duplicate key `{key.value}` (first at line {seen[key.value].line})",
                        )
                    )
                    continue
                seen[key.value] = key.location
            pairs.append((key, _convert(value_node, loader, file, problems)))
        return Node("map", tuple(pairs), where)
    if isinstance(node, yaml.SequenceNode):
        return Node("seq", tuple(_convert(n, loader, file, problems) for n in node.value), where)
    if isinstance(node, yaml.ScalarNode):
        try:
            value = loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:
            problems.append(problem_at(where, f"invalid value `{node.value}`: {error}"))
            value = node.value
        return Node("scalar", value, where)
    problems.append(problem_at(where, "unsupported YAML node"))
    return Node("scalar", None, where)


def problem_at(location: Location, message: str) -> Problem:
    """A problem at `file:line:col` of a rule file."""
    return Problem(message, file=location.file, line=location.line, column=location.column)


def read_yaml(path: Path, display: str, problems: list[Problem]) -> Node | None:
    """Compose one YAML document into located nodes; `None` (with problems) when it cannot be
    read. Aliases and tags beyond the safe schema are refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(f"cannot read file: {error}", file=display))
        return None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.append(Problem("empty file", file=display, line=1, column=1))
            return None
        if _has_alias(root):
            problems.append(
                problem_at(
                    _location(root.start_mark, display), "YAML anchors and aliases are not allowed"
                )
            )
            return None
        return _convert(root, loader, display, problems)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"invalid YAML: {error.problem or error.context}"
        problems.append(Problem(message, file=display, line=line, column=column))
        return None
    except yaml.YAMLError as error:
        problems.append(Problem(f"invalid YAML: {error}", file=display))
        return None
    finally:
        loader.dispose()


def _has_alias(root: yaml.Node) -> bool:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


@attrs.frozen
class CsvRow:
    """One data row of a CSV table: its line, and each cell with its column position."""

    line: int
    cells: tuple[tuple[str, str, int], ...]
    """(column name, raw text, 1-based character column) for each cell."""


def _cell_columns(raw_line: str) -> Iterator[int]:
    """1-based character column where each CSV field of `raw_line` starts."""
    yield 1
    quoted = False
    for index, char in enumerate(raw_line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            yield index + 2


def read_csv(
    path: Path, display: str, problems: list[Problem]
) -> tuple[tuple[str, ...], tuple[CsvRow, ...]] | None:
    """Read a CSV file with a header row; `None` (with problems) when it cannot be read.

    Blank lines are skipped; a row with the wrong number of cells is a problem.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(f"cannot read file: {error}", file=display))
        return None
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    try:
        header = tuple(h.strip() for h in next(reader))
    except StopIteration:
        problems.append(Problem("empty table: a header row is needed", file=display, line=1))
        return None
    except csv.Error as error:
        problems.append(Problem(f"invalid CSV: {error}", file=display, line=1))
        return None
    if len(set(header)) != len(header):
        problems.append(Problem("duplicate column names in the header", file=display, line=1))
        return None
    rows: list[CsvRow] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        f"expected {len(header)} cells, found {len(record)}",
                        file=display,
                        line=line,
                        column=1,
                    )
                )
                continue
            raw = lines[line - 1] if line - 1 < len(lines) else ""
            columns = list(_cell_columns(raw))
            columns += [1] * (len(header) - len(columns))
            rows.append(
                CsvRow(
                    line,
                    tuple(
                        (name, cell, columns[i])
                        for i, (name, cell) in enumerate(zip(header, record, strict=True))
                    ),
                )
            )
    except csv.Error as error:
        problems.append(Problem(f"invalid CSV: {error}", file=display, line=reader.line_num))
        return None
    return header, tuple(rows)
