"""Check: turn located YAML nodes into the rule tree, reporting every problem at once.

The checker validates a ruleset against the rule-language schema (v1): structure, names,
types of every condition (no comparison ever mixes types), references between patterns,
templates, exceptions and guards, and the limits beyond which durable-rules cannot run a
ruleset safely. Each problem is located as `file:line:col`, with a suggestion where one fits.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import safe_regex
from .errors import Problem
from .facts import BUILTIN_FACT_TYPES, date_value, engine_string, minor_units
from .load import CsvRow, Node, read_csv, read_yaml
from .tree import (
    Action,
    Condition,
    Decide,
    Derive,
    ExceptionRule,
    FactType,
    FieldType,
    Guard,
    Literal,
    Location,
    Op,
    Pattern,
    Period,
    Ref,
    Rule,
    Table,
    Template,
)
from .vocab import COUNTRIES, CURRENCIES, Outcome

__all__ = ["LIMITS", "Checked", "check_ruleset"]

SCHEMA_VERSION = 1

LIMITS: Mapping[str, int] = {
    "rules": 2_000,
    "patterns_per_rule": 12,
    "joins_per_pattern": 16,
    "patterns_per_fact_type": 400,
    "fields_per_fact_type": 64,
    "values_per_in": 256,
    "integer_bits": 63,
}
"""Largest sizes a ruleset may have. durable-rules has hard limits (16 patterns per rule, 32
expression slots per pattern, 255 properties per fact) and hangs when one node of its alpha
network has 512 or more successors; a fact type with at most 400 patterns keeps every node
below that."""

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_PATTERN_KEY = re.compile(r"\s*([a-z][a-z0-9_]*)(?:\s+as\s+([a-z][a-z0-9_]*))?\s*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_RESERVED_FIELDS = {"id", "sid"}

_COLUMN_TYPES = {t.value: t for t in FieldType} | {"country": FieldType.STRING}

_OPS = {op.value: op for op in Op}


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f": did you mean `{close[0]}`?" if close else ""


class Checked:
    """What checking a ruleset directory produced: the parts of the tree, before assembly."""

    def __init__(self) -> None:
        self.header: dict[str, object] = {}
        self.fact_types: dict[str, FactType] = dict(BUILTIN_FACT_TYPES)
        self.tables: list[Table] = []
        self.rules: list[Rule] = []


class _Checker:
    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.display_root = display_root
        self.problems: list[Problem] = []
        self.out = Checked()
        self.pattern_currency: dict[str, str] = {}

    def error(self, where: Node | Location, message: str) -> None:
        location = where.location if isinstance(where, Node) else where
        self.problems.append(
            Problem(message, file=location.file, line=location.line, column=location.column)
        )

    def display(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        return f"{self.display_root}/{relative}" if self.display_root else relative

    def fields(
        self,
        node: Node,
        what: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, Node] | None:
        """The entries of a mapping node, after checking its keys."""
        if node.kind != "map":
            self.error(node, f"{what} must be a mapping")
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        out: dict[str, Node] = {}
        for key, value in node.pairs():
            name = key.value
            if not isinstance(name, str):
                self.error(key, f"keys of {what} must be strings, got `{name}`")
            elif name not in allowed:
                self.error(key, f"unknown field `{name}` in {what}{_suggest(name, allowed)}")
            else:
                out[name] = value
        for name in required:
            if name not in out:
                self.error(node, f"{what} is missing required field `{name}`")
        return out

    def string(self, node: Node, what: str, pattern: re.Pattern[str] | None = None) -> str | None:
        if node.kind != "scalar" or not isinstance(node.value, str) or not node.value.strip():
            self.error(node, f"{what} must be a non-empty string")
            return None
        text = unicodedata.normalize("NFC", node.value)
        if pattern is not None and not pattern.fullmatch(text):
            self.error(node, f"{what} `{text}` must match `{pattern.pattern}`")
            return None
        return text

    def date(self, node: Node, what: str) -> dt.date | None:
        value = node.value
        if node.kind == "scalar" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if node.kind == "scalar" and isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.error(node, f"{what} must be a date (YYYY-MM-DD)")
        return None

    def sequence(self, node: Node, what: str) -> tuple[Node, ...]:
        if node.kind != "seq":
            self.error(node, f"{what} must be a list")
            return ()
        return node.items()

    # -- header ------------------------------------------------------------------------------

    def header(self, root: Node, directory_name: str) -> dict[str, Node] | None:
        entries = self.fields(
            root,
            "the ruleset",
            ("schema", "id", "title", "jurisdiction", "edition", "source"),
            ("description", "applies_to", "tables", "facts", "rules"),
        )
        if entries is None:
            return None
        header = self.out.header
        if "schema" in entries:
            node = entries["schema"]
            if node.value != SCHEMA_VERSION or isinstance(node.value, bool):
                self.error(node, f"unsupported schema `{node.value}`: this version reads schema 1")
        if "id" in entries:
            ruleset_id = self.string(entries["id"], "ruleset id", _RULE_ID)
            if ruleset_id is not None and ruleset_id != directory_name:
                self.error(
                    entries["id"],
                    f"ruleset id `{ruleset_id}` differs from its directory `{directory_name}`",
                )
            header["id"] = ruleset_id
        for name in ("title", "jurisdiction", "source", "description"):
            if name in entries:
                header[name] = self.string(entries[name], name)
        if "edition" in entries:
            header["edition"] = self.date(entries["edition"], "edition")
        header["exporter_countries"] = ()
        if "applies_to" in entries:
            applies = self.fields(entries["applies_to"], "applies_to", (), ("exporter_countries",))
            if applies and "exporter_countries" in applies:
                codes = []
                for node in self.sequence(applies["exporter_countries"], "exporter_countries"):
                    code = self.string(node, "country code")
                    if code is not None and code not in COUNTRIES:
                        self.error(node, f"unknown country code `{code}`{_suggest(code, COUNTRIES)}")
                    elif code is not None:
                        codes.append(code)
                header["exporter_countries"] = tuple(sorted(set(codes)))
        return entries

    # -- derived fact types ------------------------------------------------------------------

    def derived_types(self, node: Node) -> None:
        if node.kind != "map":
            self.error(node, "facts must be a mapping of fact type names to declarations")
            return
        for key, value in node.pairs():
            name = self.type_name(key)
            if name is None:
                continue
            entries = self.fields(value, f"fact type `{name}`", ("fields",), ("description",))
            if entries is None or "fields" not in entries:
                continue
            fields = self.field_declarations(entries["fields"], f"fact type `{name}`")
            description = ""
            if "description" in entries:
                description = self.string(entries["description"], "description") or ""
            self.out.fact_types[name] = FactType(
                name, tuple((f, t) for f, t, _ in fields), "derived", description
            )

    def type_name(self, key: Node) -> str | None:
        name = key.value
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            self.error(key, f"fact type name `{name}` must match `{_NAME.pattern}`")
            return None
        if name in self.out.fact_types:
            origin = self.out.fact_types[name].origin
            self.error(key, f"fact type `{name}` is already defined ({origin})")
            return None
        return name

    def field_declarations(self, node: Node, what: str) -> list[tuple[str, FieldType, str | None]]:
        """(name, type, currency) of each declared field; currency only for money."""
        out: list[tuple[str, FieldType, str | None]] = []
        if node.kind != "map" or not node.pairs():
            self.error(node, f"fields of {what} must be a non-empty mapping of name to type")
            return out
        if len(node.pairs()) > LIMITS["fields_per_fact_type"]:
            self.error(node, f"{what} has more than {LIMITS['fields_per_fact_type']} fields")
        for key, value in node.pairs():
            name = key.value
            if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _RESERVED_FIELDS:
                self.error(key, f"field name `{name}` must match `{_NAME.pattern}` and not be id or sid")
                continue
            currency: str | None = None
            if value.kind == "map":
                entries = self.fields(value, f"field `{name}`", ("type",), ("currency",))
                if entries is None or "type" not in entries:
                    continue
                type_node = entries["type"]
                if "currency" in entries:
                    currency = self.currency(entries["currency"])
            else:
                type_node = value
            type_text = type_node.value
            if not isinstance(type_text, str) or type_text not in _COLUMN_TYPES:
                self.error(
                    type_node,
                    f"unknown type `{type_text}`{_suggest(str(type_text), _COLUMN_TYPES)}",
                )
                continue
            field_type = _COLUMN_TYPES[type_text]
            if field_type is FieldType.MONEY and currency is None and value.kind == "map":
                self.error(value, f"money field `{name}` needs a `currency`")
            if type_text == "country":
                currency = "country"
            out.append((name, field_type, currency))
        return out

    def currency(self, node: Node) -> str | None:
        code = self.string(node, "currency")
        if code is not None and code not in CURRENCIES:
            self.error(node, f"unknown currency `{code}`{_suggest(code, CURRENCIES)}")
            return None
        return code

    # -- tables ------------------------------------------------------------------------------

    def tables(self, node: Node) -> None:
        if node.kind != "map":
            self.error(node, "tables must be a mapping of table names to declarations")
            return
        for key, value in node.pairs():
            name = self.type_name(key)
            if name is None:
                continue
            entries = self.fields(
                value,
                f"table `{name}`",
                ("file", "columns"),
                ("description", "source", "edition", "select"),
            )
            if entries is None or "file" not in entries or "columns" not in entries:
                continue
            declared = self.field_declarations(entries["columns"], f"table `{name}`")
            columns = {f: t for f, t, _ in declared}
            currencies = tuple((f, c) for f, t, c in declared if t is FieldType.MONEY and c)
            countries = {f for f, _, c in declared if c == "country"}
            for field, field_type, currency in declared:
                if field_type is FieldType.MONEY and currency is None:
                    self.error(entries["columns"], f"money column `{field}` needs a `currency`")
            fact_type = FactType(
                name,
                tuple(columns.items()),
                "table",
                self.string(entries["description"], "description") or "" if "description" in entries else "",
                currencies,
            )
            self.out.fact_types[name] = fact_type
            rows = self.table_rows(entries["file"], fact_type, dict(currencies), countries)
            select = self.table_select(entries.get("select"), fact_type)
            source = self.string(entries["source"], "source") if "source" in entries else None
            edition = self.date(entries["edition"], "edition") if "edition" in entries else None
            file_text = entries["file"].value if isinstance(entries["file"].value, str) else ""
            self.out.tables.append(
                Table(name, fact_type, rows, select, file_text, source, edition)
            )

    def table_rows(
        self,
        node: Node,
        fact_type: FactType,
        currencies: dict[str, str],
        countries: set[str],
    ) -> tuple[tuple[tuple[str, Literal], ...], ...]:
        relative = self.string(node, "table file")
        if relative is None:
            return ()
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            self.error(node, f"table file `{relative}` does not exist in the ruleset directory")
            return ()
        columns = fact_type.field_types()
        display = self.display(path)
        rows: list[tuple[tuple[str, Literal], ...]] = []
        if path.suffix == ".csv":
            read = read_csv(path, display, self.problems)
            if read is None:
                return ()
            header, csv_rows = read
            for name in header:
                if name not in columns:
                    self.error(
                        Location(display, 1, 1),
                        f"column `{name}` is not declared in the table{_suggest(name, columns)}",
                    )
            missing = [c for c in columns if c not in header]
            if missing:
                self.error(Location(display, 1, 1), f"declared columns missing from the file: {', '.join(missing)}")
                return ()
            for row in csv_rows:
                rows.append(self.csv_row(row, display, columns, currencies, countries))
        elif path.suffix in (".yaml", ".yml"):
            root = read_yaml(path, display, self.problems)
            if root is None:
                return ()
            for item in self.sequence(root, "a YAML table"):
                entries = self.fields(item, "a table row", (), columns)
                if entries is None:
                    continue
                cells: list[tuple[str, Literal]] = []
                for name, value_node in entries.items():
                    value = self.literal(value_node, columns[name], f"column `{name}`", currencies.get(name))
                    if value is not None and name in countries:
                        self.country_value(value_node, value)
                    if value is not None:
                        cells.append((name, value))
                rows.append(tuple(sorted(cells)))
        else:
            self.error(node, f"table file `{relative}` must be .csv or .yaml")
        return tuple(rows)

    def country_value(self, where: Node | Location, value: Literal) -> None:
        if value not in COUNTRIES:
            self.error(where, f"unknown country code `{value}`{_suggest(str(value), COUNTRIES)}")

    def csv_row(
        self,
        row: CsvRow,
        display: str,
        columns: Mapping[str, FieldType],
        currencies: Mapping[str, str],
        countries: set[str],
    ) -> tuple[tuple[str, Literal], ...]:
        cells: list[tuple[str, Literal]] = []
        for name, text, column in row.cells:
            where = Location(display, row.line, column)
            text = unicodedata.normalize("NFC", text.strip())
            if not text:
                continue
            value = self.parse_cell(text, columns[name], currencies.get(name), where, name)
            if value is None:
                continue
            if name in countries:
                self.country_value(where, value)
            cells.append((name, value))
        return tuple(sorted(cells))

    def parse_cell(
        self, text: str, field_type: FieldType, currency: str | None, where: Location, name: str
    ) -> Literal | None:
        try:
            if field_type is FieldType.STRING:
                return engine_string(text)
            if field_type is FieldType.INTEGER:
                return self.bounded(int(text), where)
            if field_type is FieldType.NUMBER:
                return float(Decimal(text))
            if field_type is FieldType.BOOLEAN:
                if text.lower() not in ("true", "false"):
                    raise ValueError
                return text.lower() == "true"
            if field_type is FieldType.DATE:
                return date_value(dt.date.fromisoformat(text))
            assert currency is not None
            return self.bounded(minor_units(Decimal(text), currency), where)
        except (ValueError, InvalidOperation):
            self.error(where, f"column `{name}`: `{text}` is not a valid {field_type.value}")
            return None

    def bounded(self, value: int, where: Node | Location) -> int | None:
        limit = 2 ** LIMITS["integer_bits"]
        if not -limit <= value < limit:
            self.error(where, f"integer `{value}` is outside the engine's 64-bit range")
            return None
        return value

    def table_select(
        self, node: Node | None, fact_type: FactType
    ) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        if node is None:
            return ()
        if node.kind != "map":
            self.error(node, "select must map a column to input fields such as `[item.eccn]`")
            return ()
        columns = fact_type.field_types()
        out: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for key, value in node.pairs():
            column = key.value
            if not isinstance(column, str) or column not in columns:
                self.error(key, f"select: unknown column `{column}`{_suggest(str(column), columns)}")
                continue
            sources: list[tuple[str, str]] = []
            targets = value.items() if value.kind == "seq" else (value,)
            for target in targets:
                text = self.string(target, "select source")
                if text is None:
                    continue
                type_name, _, field = text.partition(".")
                builtin = BUILTIN_FACT_TYPES.get(type_name)
                if builtin is None:
                    self.error(
                        target,
                        f"select: `{text}` must name a field of an input fact type "
                        f"({', '.join(BUILTIN_FACT_TYPES)}){_suggest(type_name, BUILTIN_FACT_TYPES)}",
                    )
                    continue
                field_types = builtin.field_types()
                if field not in field_types:
                    self.error(target, f"select: fact type `{type_name}` has no field `{field}`{_suggest(field, field_types)}")
                    continue
                if field_types[field] is not columns[column]:
                    self.error(
                        target,
                        f"select: column `{column}` is {columns[column].value} but "
                        f"`{text}` is {field_types[field].value}",
                    )
                    continue
                sources.append((type_name, field))
            out.append((column, tuple(sorted(set(sources)))))
        return tuple(out)

    # -- literals ------------------------------------------------------------------------------

    def literal(
        self, node: Node, field_type: FieldType, what: str, currency: str | None = None
    ) -> Literal | None:
        """A constant of `field_type` from a YAML node, in engine form."""
        value = node.value
        if field_type is FieldType.MONEY:
            return self.money(node, what, currency)
        if node.kind != "scalar":
            self.error(node, f"{what} expects a {field_type.value}, got a {node.kind}")
            return None
        if field_type is FieldType.STRING and isinstance(value, str):
            text = unicodedata.normalize("NFC", value)
            if re.search(r"[\x00-\x1f\x7f]", text):
                self.error(node, f"{what}: control characters are not allowed in strings")
                return None
            return text
        if field_type is FieldType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
            return self.bounded(value, node)
        if field_type is FieldType.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if field_type is FieldType.BOOLEAN and isinstance(value, bool):
            return value
        if field_type is FieldType.DATE:
            day = self.date(node, what)
            return None if day is None else date_value(day)
        hint = ""
        if field_type is FieldType.STRING and value is not None:
            hint = f": quote it (\"{value}\")"
        self.error(node, f"{what} expects a {field_type.value}, got `{value}`{hint}")
        return None

    def money(self, node: Node, what: str, currency: str | None) -> int | None:
        if node.kind == "map":
            entries = self.fields(node, f"money amount of {what}", ("amount", "currency"))
            if entries is None or len(entries) < 2:
                return None
            code = self.currency(entries["currency"])
            amount_node = entries["amount"]
            if currency is not None and code is not None and code != currency:
                self.error(entries["currency"], f"{what} is in {currency}, not `{code}`")
                return None
            currency = code
        elif currency is not None:
            amount_node = node
        else:
            self.error(node, f"{what} expects money as `{{amount: 5000, currency: USD}}`")
            return None
        amount = amount_node.value
        if currency is None:
            return None
        if isinstance(amount, bool) or not isinstance(amount, int | float | str):
            self.error(amount_node, f"{what}: amount must be a number")
            return None
        try:
            return self.bounded(minor_units(Decimal(str(amount)), currency), amount_node)
        except InvalidOperation:
            self.error(amount_node, f"{what}: `{amount}` is not an amount")
            return None

    # -- rules -------------------------------------------------------------------------------

    def rules(self, node: Node) -> None:
        for rule_node in self.sequence(node, "rules"):
            rule = self.rule(rule_node)
            if rule is not None:
                self.out.rules.append(rule)

    def rule(self, node: Node) -> Rule | None:
        entries = self.fields(
            node,
            "a rule",
            ("id", "title", "cite", "when"),
            ("note", "effective", "expires", "suspended", "derive", "decide", "exception", "guard"),
        )
        if entries is None:
            return None
        rule_id = self.string(entries["id"], "rule id", _RULE_ID) if "id" in entries else None
        title = self.string(entries["title"], "title") if "title" in entries else None
        cite = self.string(entries["cite"], "cite") if "cite" in entries else None
        note = self.string(entries["note"], "note") if "note" in entries else None
        effective = self.date(entries["effective"], "effective") if "effective" in entries else None
        expires = self.date(entries["expires"], "expires") if "expires" in entries else None
        if effective and expires and expires <= effective:
            self.error(entries["expires"], "expires must be after effective")
        suspended = self.periods(entries["suspended"]) if "suspended" in entries else ()
        patterns = self.patterns(entries["when"]) if "when" in entries else None
        kinds = [k for k in ("derive", "decide", "exception", "guard") if k in entries]
        if len(kinds) != 1:
            self.error(node, "a rule needs exactly one action: derive, decide, exception or guard")
            return None
        action = self.action(kinds[0], entries[kinds[0]], patterns or ())
        if None in (rule_id, title, cite, patterns, action):
            return None
        assert rule_id and title and cite and patterns is not None and action is not None
        return Rule(
            rule_id,
            title,
            cite,
            patterns,
            action,
            node.location,
            effective,
            expires,
            suspended,
            note,
        )

    def periods(self, node: Node) -> tuple[Period, ...]:
        out = []
        for item in self.sequence(node, "suspended"):
            entries = self.fields(item, "a suspension", ("from",), ("until",))
            if entries is None or "from" not in entries:
                continue
            start = self.date(entries["from"], "from")
            end = self.date(entries["until"], "until") if "until" in entries else None
            if start and end and end <= start:
                self.error(entries["until"], "until must be after from")
            out.append(Period(start, end))
        return tuple(out)

    def patterns(self, node: Node) -> tuple[Pattern, ...] | None:
        nodes = self.sequence(node, "when")
        if not nodes:
            if node.kind == "seq":
                self.error(node, "when needs at least one pattern")
            return None
        if len(nodes) > LIMITS["patterns_per_rule"]:
            self.error(node, f"a rule may have at most {LIMITS['patterns_per_rule']} patterns")
        aliases: dict[str, FactType] = {}
        out: list[Pattern] = []
        ok = True
        self.pattern_currency = {}
        for pattern_node in nodes:
            pattern = self.pattern(pattern_node, aliases)
            if pattern is None:
                ok = False
                continue
            aliases[pattern.alias] = self.out.fact_types[pattern.fact_type]
            out.append(pattern)
        return tuple(out) if ok else None

    def pattern(self, node: Node, aliases: Mapping[str, FactType]) -> Pattern | None:
        if node.kind != "map" or len(node.pairs()) != 1:
            self.error(node, "a pattern is a mapping with one key: `type` or `type as alias`")
            return None
        ((key, body),) = node.pairs()
        match = _PATTERN_KEY.fullmatch(key.value) if isinstance(key.value, str) else None
        if match is None:
            self.error(key, f"`{key.value}` is not `type` or `type as alias`")
            return None
        type_name, alias = match.group(1), match.group(2) or match.group(1)
        fact_type = self.out.fact_types.get(type_name)
        if fact_type is None:
            self.error(key, f"unknown fact type `{type_name}`{_suggest(type_name, self.out.fact_types)}")
            return None
        if alias in aliases:
            self.error(key, f"alias `{alias}` is already bound in this rule: use `{type_name} as <alias>`")
            return None
        conditions: list[Condition] = []
        ok = True
        if body.kind == "scalar" and body.value is None:
            pass
        elif body.kind != "map":
            self.error(body, f"conditions of `{type_name}` must be a mapping of field to condition")
            ok = False
        else:
            field_types = fact_type.field_types()
            for field_node, condition_node in body.pairs():
                field = field_node.value
                if not isinstance(field, str) or field not in field_types:
                    self.error(
                        field_node,
                        f"fact type `{type_name}` has no field `{field}`{_suggest(str(field), field_types)}",
                    )
                    ok = False
                    continue
                found = self.conditions(field, field_types[field], condition_node, fact_type, aliases)
                if found is None:
                    ok = False
                else:
                    conditions.extend(found)
        joins = sum(1 for c in conditions if isinstance(c.value, Ref))
        if joins > LIMITS["joins_per_pattern"]:
            self.error(body, f"a pattern may have at most {LIMITS['joins_per_pattern']} references")
            ok = False
        if not ok:
            return None
        pattern = Pattern(type_name, alias, tuple(conditions), key.location)
        self.money_currencies(pattern, fact_type, aliases)
        return pattern

    def conditions(
        self,
        field: str,
        field_type: FieldType,
        node: Node,
        fact_type: FactType,
        aliases: Mapping[str, FactType],
    ) -> list[Condition] | None:
        currency = dict(fact_type.currencies).get(field)
        if node.kind != "map" or self.is_operand(node):
            value = self.operand(node, field_type, field, aliases, currency)
            return None if value is None else [Condition(field, Op.EQ, value, field_type, node.location)]
        out: list[Condition] = []
        ok = True
        for op_node, value_node in node.pairs():
            spelled = op_node.value
            if not isinstance(spelled, str) or spelled not in _OPS:
                self.error(op_node, f"unknown operator `{spelled}`{_suggest(str(spelled), _OPS)}")
                ok = False
                continue
            op = _OPS[spelled]
            condition = self.condition(field, field_type, op, value_node, aliases, currency)
            if condition is None:
                ok = False
            else:
                out.append(condition)
        if not out and ok:
            self.error(node, f"no condition given for `{field}`")
            ok = False
        return out if ok else None

    def is_operand(self, node: Node) -> bool:
        keys = {k.value for k, _ in node.pairs()}
        return keys == {"ref"} or keys == {"amount", "currency"}

    def condition(
        self,
        field: str,
        field_type: FieldType,
        op: Op,
        node: Node,
        aliases: Mapping[str, FactType],
        currency: str | None,
    ) -> Condition | None:
        what = f"`{field} {op.value}`"
        if op in (Op.LT, Op.LE, Op.GT, Op.GE) and not field_type.ordered:
            self.error(node, f"{what}: `{op.value}` compares numbers, money and dates, not a {field_type.value}")
            return None
        if op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE):
            value = self.operand(node, field_type, field, aliases, currency)
            return None if value is None else Condition(field, op, value, field_type, node.location)
        if op in (Op.IN, Op.NOT_IN):
            members = self.sequence(node, what)
            if not members:
                if node.kind == "seq":
                    self.error(node, f"{what} needs at least one value")
                return None
            if len(members) > LIMITS["values_per_in"]:
                self.error(node, f"{what} may list at most {LIMITS['values_per_in']} values: use a table")
                return None
            values = [self.literal(m, field_type, what, currency) for m in members]
            if any(v is None for v in values):
                return None
            counts = Counter(values)
            duplicates = [str(v) for v, n in counts.items() if n > 1]
            if duplicates:
                self.error(node, f"{what} lists `{duplicates[0]}` more than once")
                return None
            literal_values = tuple(v for v in values if v is not None)
            return Condition(field, op, literal_values, field_type, node.location)
        if op is Op.EXISTS:
            if node.kind != "scalar" or not isinstance(node.value, bool):
                self.error(node, f"{what} takes true or false")
                return None
            return Condition(field, op, node.value, field_type, node.location)
        if field_type is not FieldType.STRING:
            self.error(node, f"{what} applies to strings, not a {field_type.value}")
            return None
        text = self.string(node, what)
        if text is None:
            return None
        if op is Op.CONTAINS:
            if re.search(r'["\\\x00-\x1f\x7f]', text):
                self.error(node, f"{what}: quotes, backslashes and control characters are not allowed")
                return None
        else:
            try:
                safe_regex.parse(text)
            except safe_regex.RegexError as error:
                self.error(node, f"{what}: {error}")
                return None
        return Condition(field, op, text, field_type, node.location)

    def operand(
        self,
        node: Node,
        field_type: FieldType,
        field: str,
        aliases: Mapping[str, FactType],
        currency: str | None,
    ) -> Literal | Ref | None:
        if node.kind == "map" and {k.value for k, _ in node.pairs()} == {"ref"}:
            return self.ref(node.pairs()[0][1], field_type, aliases, f"`{field}`")
        return self.literal(node, field_type, f"`{field}`", currency)

    def ref(
        self,
        node: Node,
        field_type: FieldType | None,
        aliases: Mapping[str, FactType],
        what: str,
    ) -> Ref | None:
        text = node.value
        if not isinstance(text, str) or text.count(".") != 1:
            self.error(node, f"{what}: a reference is `alias.field`, got `{text}`")
            return None
        alias, field = text.split(".")
        if alias not in aliases:
            hint = _suggest(alias, aliases)
            self.error(node, f"{what}: `{alias}` is not bound by an earlier pattern{hint}")
            return None
        field_types = aliases[alias].field_types()
        if field not in field_types:
            self.error(node, f"{what}: `{aliases[alias].name}` has no field `{field}`{_suggest(field, field_types)}")
            return None
        if field_type is not None and field_types[field] is not field_type:
            self.error(
                node,
                f"{what}: cannot compare a {field_type.value} with `{text}`, a {field_types[field].value}",
            )
            return None
        return Ref(alias, field)

    def money_currencies(
        self, pattern: Pattern, fact_type: FactType, aliases: Mapping[str, FactType]
    ) -> None:
        """Money is compared as minor units: both sides must be in one known currency."""
        for condition in pattern.conditions:
            if condition.type is not FieldType.MONEY or condition.op is Op.EXISTS:
                continue
            left = _currency_of(pattern, fact_type, condition.field)
            right: str | None
            if isinstance(condition.value, Ref):
                right = None
                target = aliases.get(condition.value.alias)
                if target is not None:
                    right = dict(target.currencies).get(condition.value.field)
                    if right is None:
                        right = self.pattern_currency.get(condition.value.alias)
            else:
                right = left
            if left is None or right is None or left != right:
                self.error(
                    condition.location,
                    f"`{condition.field}` compares money: fix the currency on both sides "
                    f"(e.g. add `currency: USD` to pattern `{pattern.alias}`)",
                )
        currency = _currency_of(pattern, fact_type, None)
        if currency is not None:
            self.pattern_currency[pattern.alias] = currency

    def template(self, node: Node, aliases: Mapping[str, FactType], what: str) -> Template | None:
        text = self.string(node, what)
        if text is None:
            return None
        refs: list[Ref] = []
        ok = True
        stripped = text.replace("{{", "").replace("}}", "")
        for match in _PLACEHOLDER.finditer(stripped):
            ref = self.ref(Node("scalar", match.group(1), node.location), None, aliases, what)
            if ref is None:
                ok = False
            else:
                refs.append(ref)
        if "{" in _PLACEHOLDER.sub("", stripped) or "}" in _PLACEHOLDER.sub("", stripped):
            self.error(node, f"{what}: unbalanced `{{` or `}}` (write `{{{{` for a literal brace)")
            ok = False
        return Template(text, tuple(refs)) if ok else None

    def action(self, kind: str, node: Node, patterns: tuple[Pattern, ...]) -> Action | None:
        aliases = {p.alias: self.out.fact_types[p.fact_type] for p in patterns}
        handlers: dict[str, Callable[[Node, Mapping[str, FactType]], Action | None]] = {
            "derive": self.derive,
            "decide": self.decide,
            "exception": self.exception,
            "guard": self.guard,
        }
        return handlers[kind](node, aliases)

    def derive(self, node: Node, aliases: Mapping[str, FactType]) -> Derive | None:
        if node.kind != "map" or len(node.pairs()) != 1:
            self.error(node, "derive takes one fact: `{type: {field: value, ...}}`")
            return None
        ((key, body),) = node.pairs()
        type_name = key.value
        fact_type = self.out.fact_types.get(type_name) if isinstance(type_name, str) else None
        if fact_type is None or fact_type.origin != "derived":
            derived = [t for t, f in self.out.fact_types.items() if f.origin == "derived"]
            self.error(key, f"`{type_name}` is not a declared derived fact type (under `facts:`){_suggest(str(type_name), derived)}")
            return None
        field_types = fact_type.field_types()
        entries = self.fields(body, f"derived `{type_name}`", tuple(field_types))
        if entries is None or len(entries) != len(field_types):
            return None
        values: list[tuple[str, Literal | Ref]] = []
        for name, value_node in entries.items():
            value = self.operand(value_node, field_types[name], name, aliases, None)
            if value is None:
                return None
            values.append((name, value))
        return Derive(type_name, tuple(sorted(values, key=lambda kv: kv[0])))

    def decide(self, node: Node, aliases: Mapping[str, FactType]) -> Decide | None:
        entries = self.fields(node, "decide", ("outcome", "rationale"), ("requirement", "open"))
        if entries is None or "outcome" not in entries or "rationale" not in entries:
            return None
        outcomes = [o.value for o in Outcome]
        spelled = entries["outcome"].value
        if spelled not in outcomes:
            self.error(entries["outcome"], f"unknown outcome `{spelled}`{_suggest(str(spelled), outcomes)}")
            return None
        outcome = Outcome(spelled)
        rationale = self.template(entries["rationale"], aliases, "rationale")
        requirement = None
        if "requirement" in entries:
            requirement = self.string(entries["requirement"], "requirement", _REQUIREMENT)
            if outcome is not Outcome.LICENSE_REQUIRED:
                self.error(entries["requirement"], "only a `license_required` outcome names a requirement")
                return None
        open_item = None
        if "open" in entries:
            open_item = self.string(entries["open"], "open")
            if outcome is not Outcome.REVIEW:
                self.error(entries["open"], "an open item has the outcome `review`")
                return None
        if rationale is None:
            return None
        return Decide(outcome, rationale, requirement, open_item)

    def exception(self, node: Node, aliases: Mapping[str, FactType]) -> ExceptionRule | None:
        entries = self.fields(node, "exception", ("name", "discharges", "rationale"))
        if entries is None or len(entries) < 3:
            return None
        name = self.string(entries["name"], "exception name", _REQUIREMENT)
        discharges = [
            self.string(n, "requirement", re.compile(r"[A-Za-z0-9*][A-Za-z0-9._:*-]*"))
            for n in self.sequence(entries["discharges"], "discharges")
        ]
        rationale = self.template(entries["rationale"], aliases, "rationale")
        if name is None or rationale is None or None in discharges or not discharges:
            if not discharges and entries["discharges"].kind == "seq":
                self.error(entries["discharges"], "discharges needs at least one requirement")
            return None
        return ExceptionRule(name, tuple(d for d in discharges if d), rationale)

    def guard(self, node: Node, aliases: Mapping[str, FactType]) -> Guard | None:
        entries = self.fields(node, "guard", ("blocks", "rationale"))
        if entries is None or len(entries) < 2:
            return None
        blocks = [
            self.string(n, "exception name", re.compile(r"\*|[A-Za-z0-9][A-Za-z0-9._:-]*"))
            for n in self.sequence(entries["blocks"], "blocks")
        ]
        rationale = self.template(entries["rationale"], aliases, "rationale")
        if rationale is None or None in blocks or not blocks:
            if not blocks and entries["blocks"].kind == "seq":
                self.error(entries["blocks"], "blocks needs at least one exception name or `*`")
            return None
        return Guard(tuple(b for b in blocks if b), rationale)

    # -- whole ruleset -------------------------------------------------------------------------

    def cross_checks(self) -> None:
        rules = self.out.rules
        if len(rules) > LIMITS["rules"]:
            self.error(rules[LIMITS["rules"]].location, f"a ruleset may have at most {LIMITS['rules']} rules")
        seen: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in seen:
                self.error(rule.location, f"duplicate rule id `{rule.id}` (first at {seen[rule.id].location})")
            seen.setdefault(rule.id, rule)
        per_type = Counter(p.fact_type for r in rules for p in r.patterns)
        for type_name, count in sorted(per_type.items()):
            if count > LIMITS["patterns_per_fact_type"]:
                first = next(r for r in rules if any(p.fact_type == type_name for p in r.patterns))
                self.error(
                    first.location,
                    f"{count} patterns match `{type_name}`: durable-rules runs at most "
                    f"{LIMITS['patterns_per_fact_type']} per fact type safely; move data into a table",
                )
        requirements = {r.action.requirement for r in rules if isinstance(r.action, Decide) and r.action.requirement}
        exceptions = {r.action.name for r in rules if isinstance(r.action, ExceptionRule)}
        for rule in rules:
            if isinstance(rule.action, ExceptionRule):
                for name in rule.action.discharges:
                    if not any(fnmatch.fnmatchcase(req, name) for req in requirements):
                        self.error(rule.location, f"exception `{rule.action.name}` discharges `{name}`, which no rule requires{_suggest(name, requirements)}")
            if isinstance(rule.action, Guard):
                for name in rule.action.blocks:
                    if name != "*" and name not in exceptions:
                        self.error(rule.location, f"guard blocks `{name}`, which is not an exception name{_suggest(name, exceptions)}")


def _currency_of(pattern: Pattern, fact_type: FactType, field: str | None) -> str | None:
    """The currency of the money fields of facts matching `pattern`: fixed by the fact type
    for `field`, or by an equality on the fact's `currency` field."""
    if field is not None:
        fixed = dict(fact_type.currencies).get(field)
        if fixed is not None:
            return fixed
    for condition in pattern.conditions:
        if condition.field == "currency" and condition.op is Op.EQ and isinstance(condition.value, str):
            return condition.value
    return None


def check_ruleset(directory: Path, display_root: str) -> tuple[Checked, list[Problem]]:
    """Read and check the ruleset in `directory`: `ruleset.yaml`, every `rules/*.yaml`, and the
    tables they declare. Returns what was built and every problem found."""
    checker = _Checker(directory, display_root)
    main = directory / "ruleset.yaml"
    if not main.is_file():
        checker.problems.append(Problem("no ruleset.yaml in the ruleset directory", file=checker.display_root or str(directory)))
        return checker.out, checker.problems
    root = read_yaml(main, checker.display(main), checker.problems)
    if root is None:
        return checker.out, checker.problems
    entries = checker.header(root, directory.name)
    if entries is None:
        return checker.out, checker.problems
    if "facts" in entries:
        checker.derived_types(entries["facts"])
    if "tables" in entries:
        checker.tables(entries["tables"])
    rule_sources: list[Node] = []
    if "rules" in entries:
        rule_sources.append(entries["rules"])
    rules_dir = directory / "rules"
    if rules_dir.is_dir():
        for path in sorted(rules_dir.glob("*.yaml")):
            node = read_yaml(path, checker.display(path), checker.problems)
            if node is None:
                continue
            body = checker.fields(node, "a rules file", ("rules",))
            if body and "rules" in body:
                rule_sources.append(body["rules"])
    for source in rule_sources:
        checker.rules(source)
    checker.cross_checks()
    return checker.out, checker.problems
