"""Check, part one: the data of a ruleset (header, fact types, tables, constants).

`DataChecker` holds what every check needs (located errors, field and literal readers) and
checks the declarations: the header, derived fact types, and tables with their rows. The
rules are checked by `dualcontrol.check`, which builds on it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from .errors import Problem, suggest
from .facts import BUILTIN_FACT_TYPES, date_value, engine_string, minor_units
from .load import CsvRow, Node, problem_at, read_csv, read_yaml
from .tree import FactType, FieldType, Literal, Location, Rule, Table
from .vocab import COUNTRIES, CURRENCIES

__all__ = ["LIMITS", "RULE_ID", "SCHEMA_VERSION", "Checked", "DataChecker", "suggest"]

SCHEMA_VERSION = 1

LIMITS: Mapping[str, int] = {
    "rules": 2_000,
    "patterns_per_rule": 12,
    "joins_per_pattern": 16,
    "patterns_per_fact_type": 400,
    "fields_per_fact_type": 64,
    "values_per_in": 256,
    "variants_per_rule": 64,
    "engine_rules": 4_000,
    "integer_bits": 63,
}
"""Largest sizes a ruleset may have. durable-rules has hard limits (16 patterns per rule, 32
expression slots per pattern, 255 properties per fact) and hangs when one node of its alpha
network has 512 or more successors; a fact type with at most 400 patterns keeps every node
below that."""

_NAME = re.compile(r"[a-z][a-z0-9_]*")
RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_RESERVED_FIELDS = {"id", "sid"}

_COLUMN_TYPES = {t.value: t for t in FieldType} | {"country": FieldType.STRING}


class Checked:
    """What checking a ruleset directory produced: the parts of the tree, before assembly."""

    def __init__(self) -> None:
        self.header: dict[str, object] = {}
        self.fact_types: dict[str, FactType] = dict(BUILTIN_FACT_TYPES)
        self.tables: list[Table] = []
        self.rules: list[Rule] = []


@attrs.define
class _Column:
    """A declared field or table column."""

    name: str
    type: FieldType
    currency: str | None = None
    country: bool = False
    default: Literal | None = None


@attrs.define
class _Shape:
    """How a table's file maps to its facts: typed columns, ignored columns, unpivoting."""

    columns: dict[str, FieldType]
    currencies: dict[str, str]
    countries: set[str]
    defaults: dict[str, Literal]
    ignore: tuple[str, ...] = ()
    pivoted: tuple[str, ...] = ()
    pivot_fields: tuple[str, ...] = ()


class DataChecker:
    """Located errors, readers of YAML values, and the checks of a ruleset's declarations."""

    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.display_root = display_root
        self.problems: list[Problem] = []
        self.out = Checked()

    def error(self, where: Node | Location, message: str) -> None:
        location = where.location if isinstance(where, Node) else where
        self.problems.append(problem_at(location, message))

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
                self.error(key, f"unknown field `{name}` in {what}{suggest(name, allowed)}")
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
        if (
            node.kind == "scalar"
            and isinstance(value, dt.date)
            and not isinstance(value, dt.datetime)
        ):
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
            ruleset_id = self.string(entries["id"], "ruleset id", RULE_ID)
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
                        self.error(node, f"unknown country code `{code}`{suggest(code, COUNTRIES)}")
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
                name, tuple((c.name, c.type) for c in fields), "derived", description
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

    def field_declarations(self, node: Node, what: str, *, table: bool = False) -> list[_Column]:
        """The declared fields (or table columns) with their types; a column may also name a
        currency (money), be a country code, or give a default for empty cells."""
        out: list[_Column] = []
        if node.kind != "map" or not node.pairs():
            self.error(node, f"fields of {what} must be a non-empty mapping of name to type")
            return out
        if len(node.pairs()) > LIMITS["fields_per_fact_type"]:
            self.error(node, f"{what} has more than {LIMITS['fields_per_fact_type']} fields")
        for key, value in node.pairs():
            name = key.value
            if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _RESERVED_FIELDS:
                self.error(
                    key, f"field name `{name}` must match `{_NAME.pattern}` and not be id or sid"
                )
                continue
            entries: dict[str, Node] = {}
            if value.kind == "map":
                optional = ("currency", "default") if table else ("currency",)
                found = self.fields(value, f"field `{name}`", ("type",), optional)
                if found is None or "type" not in found:
                    continue
                entries = found
                type_node = entries["type"]
            else:
                type_node = value
            type_text = type_node.value
            if not isinstance(type_text, str) or type_text not in _COLUMN_TYPES:
                self.error(
                    type_node,
                    f"unknown type `{type_text}`{suggest(str(type_text), _COLUMN_TYPES)}",
                )
                continue
            column = _Column(name, _COLUMN_TYPES[type_text], country=type_text == "country")
            if "currency" in entries:
                column.currency = self.currency(entries["currency"])
            if column.type is FieldType.MONEY and column.currency is None:
                self.error(value, f"money field `{name}` needs a `currency`")
            if "default" in entries:
                column.default = self.literal(
                    entries["default"], column.type, f"default of `{name}`", column.currency
                )
            out.append(column)
        return out

    def currency(self, node: Node) -> str | None:
        code = self.string(node, "currency")
        if code is not None and code not in CURRENCIES:
            self.error(node, f"unknown currency `{code}`{suggest(code, CURRENCIES)}")
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
                ("description", "source", "edition", "select", "ignore", "unpivot"),
            )
            if entries is None or "file" not in entries or "columns" not in entries:
                continue
            declared = self.field_declarations(entries["columns"], f"table `{name}`", table=True)
            columns = {c.name: c.type for c in declared}
            currencies = {c.name: c.currency for c in declared if c.currency}
            countries = {c.name for c in declared if c.country}
            defaults = {c.name: c.default for c in declared if c.default is not None}
            shape = _Shape(columns, currencies, countries, defaults)
            if "ignore" in entries:
                shape.ignore = self.names(entries["ignore"], "ignore")
            if "unpivot" in entries:
                self.unpivot(entries["unpivot"], shape)
            description = ""
            if "description" in entries:
                description = self.string(entries["description"], "description") or ""
            fields = tuple(columns.items()) + tuple(
                (f, FieldType.STRING) for f in shape.pivot_fields
            )
            fact_type = FactType(name, fields, "table", description, tuple(currencies.items()))
            self.out.fact_types[name] = fact_type
            rows = self.table_rows(entries["file"], shape)
            select = self.table_select(entries.get("select"), fact_type)
            source = self.string(entries["source"], "source") if "source" in entries else None
            edition = self.date(entries["edition"], "edition") if "edition" in entries else None
            file_text = entries["file"].value if isinstance(entries["file"].value, str) else ""
            self.out.tables.append(Table(name, fact_type, rows, select, file_text, source, edition))

    def names(self, node: Node, what: str) -> tuple[str, ...]:
        out = []
        for item in self.sequence(node, what):
            text = self.string(item, f"a name in {what}")
            if text is not None:
                out.append(text)
        return tuple(out)

    def unpivot(self, node: Node, shape: _Shape) -> None:
        entries = self.fields(node, "unpivot", ("columns", "name", "value"))
        if entries is None or len(entries) < 3:
            return
        pivoted = self.names(entries["columns"], "unpivot columns")
        name = self.string(entries["name"], "unpivot name", _NAME)
        value = self.string(entries["value"], "unpivot value", _NAME)
        if not pivoted or name is None or value is None:
            if not pivoted and entries["columns"].kind == "seq":
                self.error(entries["columns"], "unpivot needs at least one column")
            return
        for field in (name, value):
            if field in shape.columns:
                self.error(node, f"unpivot field `{field}` is already a column of the table")
                return
        shape.pivoted = pivoted
        shape.pivot_fields = (name, value)

    def table_rows(self, node: Node, shape: _Shape) -> tuple[tuple[tuple[str, Literal], ...], ...]:
        relative = self.string(node, "table file")
        if relative is None:
            return ()
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            self.error(node, f"table file `{relative}` does not exist in the ruleset directory")
            return ()
        display = self.display(path)
        if path.suffix == ".csv":
            return self.csv_table(path, display, shape)
        if path.suffix in (".yaml", ".yml"):
            if shape.ignore or shape.pivoted:
                self.error(node, "`ignore` and `unpivot` apply to CSV tables only")
                return ()
            return self.yaml_table(path, display, shape)
        self.error(node, f"table file `{relative}` must be .csv or .yaml")
        return ()

    def csv_table(
        self, path: Path, display: str, shape: _Shape
    ) -> tuple[tuple[tuple[str, Literal], ...], ...]:
        read = read_csv(path, display, self.problems)
        if read is None:
            return ()
        header, csv_rows = read
        known = set(shape.columns) | set(shape.ignore) | set(shape.pivoted)
        for name in header:
            if name not in known:
                self.error(
                    Location(display, 1, 1),
                    f"column `{name}` is not declared in the table{suggest(name, shape.columns)}",
                )
        missing = [c for c in (*shape.columns, *shape.ignore, *shape.pivoted) if c not in header]
        if missing:
            self.error(
                Location(display, 1, 1),
                f"declared columns missing from the file: {', '.join(missing)}",
            )
            return ()
        rows: list[tuple[tuple[str, Literal], ...]] = []
        for row in csv_rows:
            base = self.csv_row(row, display, shape)
            if not shape.pivoted:
                rows.append(base)
                continue
            name_field, value_field = shape.pivot_fields
            raw = {name: text.strip() for name, text, _ in row.cells}
            for column in shape.pivoted:
                if raw[column]:
                    cells = (*base, (name_field, column), (value_field, engine_string(raw[column])))
                    rows.append(tuple(sorted(cells)))
        return tuple(rows)

    def yaml_table(
        self, path: Path, display: str, shape: _Shape
    ) -> tuple[tuple[tuple[str, Literal], ...], ...]:
        root = read_yaml(path, display, self.problems)
        if root is None:
            return ()
        rows: list[tuple[tuple[str, Literal], ...]] = []
        for item in self.sequence(root, "a YAML table"):
            entries = self.fields(item, "a table row", (), shape.columns)
            if entries is None:
                continue
            cells: list[tuple[str, Literal]] = []
            for name, value_node in entries.items():
                value = self.literal(
                    value_node, shape.columns[name], f"column `{name}`", shape.currencies.get(name)
                )
                if value is not None and name in shape.countries:
                    self.country_value(value_node, value)
                if value is not None:
                    cells.append((name, value))
            given = {name for name, _ in cells}
            cells += [(n, v) for n, v in shape.defaults.items() if n not in given]
            rows.append(tuple(sorted(cells)))
        return tuple(rows)

    def country_value(self, where: Node | Location, value: Literal) -> None:
        if value not in COUNTRIES:
            self.error(where, f"unknown country code `{value}`{suggest(str(value), COUNTRIES)}")

    def csv_row(self, row: CsvRow, display: str, shape: _Shape) -> tuple[tuple[str, Literal], ...]:
        cells: list[tuple[str, Literal]] = []
        for name, raw, column in row.cells:
            if name not in shape.columns:
                continue
            where = Location(display, row.line, column)
            text = unicodedata.normalize("NFC", raw.strip())
            if not text:
                if name in shape.defaults:
                    cells.append((name, shape.defaults[name]))
                continue
            value = self.parse_cell(
                text, shape.columns[name], shape.currencies.get(name), where, name
            )
            if value is None:
                continue
            if name in shape.countries:
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
                self.error(key, f"select: unknown column `{column}`{suggest(str(column), columns)}")
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
                        f"({', '.join(BUILTIN_FACT_TYPES)})"
                        f"{suggest(type_name, BUILTIN_FACT_TYPES)}",
                    )
                    continue
                field_types = builtin.field_types()
                if field not in field_types:
                    self.error(
                        target,
                        f"select: fact type `{type_name}` has no field `{field}`"
                        f"{suggest(field, field_types)}",
                    )
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
        if (
            field_type is FieldType.INTEGER
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            return self.bounded(value, node)
        if (
            field_type is FieldType.NUMBER
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return float(value)
        if field_type is FieldType.BOOLEAN and isinstance(value, bool):
            return value
        if field_type is FieldType.DATE:
            day = self.date(node, what)
            return None if day is None else date_value(day)
        hint = ""
        if field_type is FieldType.STRING and value is not None:
            hint = f': quote it ("{value}")'
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
