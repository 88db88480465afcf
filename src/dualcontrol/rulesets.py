"""Finding, loading and identifying rulesets.

`load_ruleset` runs load and check on one ruleset directory and returns the checked `Ruleset`
with its digest (sha256 of its canonical content: header, declarations, table rows and rules,
not formatting or comments). `shipped_rulesets` lists the rulesets embedded in the package.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from importlib import resources
from pathlib import Path

import attrs

from .check import check_ruleset
from .errors import Problem, RulesetError
from .facts import dump_json
from .tree import Location, Ruleset

__all__ = [
    "load_ruleset",
    "resolve_ruleset",
    "ruleset_digest",
    "shipped_ruleset_dir",
    "shipped_rulesets",
]


def shipped_ruleset_dir() -> Path:
    """Where the rulesets embedded in the package live (the source tree's `rulesets/` in a
    development install)."""
    packaged = resources.files("dualcontrol").joinpath("_rulesets")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rulesets"


def shipped_rulesets() -> tuple[str, ...]:
    """Ids of the rulesets shipped with the package, sorted."""
    root = shipped_ruleset_dir()
    if not root.is_dir():
        return ()
    return tuple(sorted(p.name for p in root.iterdir() if (p / "ruleset.yaml").is_file()))


def resolve_ruleset(spec: str | Path) -> Path:
    """The directory of a ruleset given by shipped id or by path (a directory or its
    `ruleset.yaml`)."""
    path = Path(spec)
    if path.name == "ruleset.yaml":
        path = path.parent
    if path.is_dir():
        return path
    if isinstance(spec, str) and "/" not in spec and spec in shipped_rulesets():
        return shipped_ruleset_dir() / spec
    known = ", ".join(f"`{name}`" for name in shipped_rulesets()) or "none"
    raise RulesetError(
        [Problem(f"no ruleset `{spec}`: give a directory or a shipped id ({known})")]
    )


def _canonical(value: object) -> object:
    if isinstance(value, Location):
        return None
    if attrs.has(type(value)):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in attrs.fields(type(value))  # type: ignore[arg-type]
            if f.name not in ("location", "path", "digest")
        }
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def ruleset_digest(ruleset: Ruleset) -> str:
    """`sha256:` + hex digest of the ruleset's canonical content."""
    content = dump_json(_canonical(ruleset))
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def load_ruleset(spec: str | Path) -> Ruleset:
    """Load and check one ruleset (shipped id or directory).

    Raises `RulesetError` with every problem of every file at once, each as `file:line:col`.
    """
    directory = resolve_ruleset(spec).resolve()
    display_root = _display_root(directory)
    checked, problems = check_ruleset(directory, display_root)
    if problems:
        raise RulesetError(problems)
    header = checked.header
    fact_types = tuple(sorted(checked.fact_types.values(), key=lambda t: t.name))
    ruleset = Ruleset(
        id=str(header["id"]),
        title=str(header["title"]),
        jurisdiction=str(header["jurisdiction"]),
        edition=header["edition"],  # type: ignore[arg-type]
        source=str(header["source"]),
        schema=1,
        path=str(directory),
        digest="",
        fact_types=fact_types,
        tables=tuple(checked.tables),
        rules=tuple(checked.rules),
        exporter_countries=header["exporter_countries"],  # type: ignore[arg-type]
        description=str(header.get("description") or ""),
    )
    return attrs.evolve(ruleset, digest=ruleset_digest(ruleset))


def _display_root(directory: Path) -> str:
    """How files of `directory` are named in messages: relative to the working directory
    when inside it, else `rulesets/<id>` for shipped ones, else the absolute path."""
    try:
        return directory.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        pass
    shipped = shipped_ruleset_dir().resolve()
    if directory.is_relative_to(shipped):
        return f"rulesets/{directory.relative_to(shipped).as_posix()}"
    return directory.as_posix()
