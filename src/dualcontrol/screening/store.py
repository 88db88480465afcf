"""The list store: one SQLite file holding every imported snapshot of every list.

Default location, first that applies: `$DUALCONTROL_LISTS` (the file itself),
`$DUALCONTROL_HOME/lists.sqlite3`, `$XDG_DATA_HOME/dualcontrol/lists.sqlite3`,
`~/.local/share/dualcontrol/lists.sqlite3`.

A dataset (by default named after its format: `csl`, `ofac-sdn`, `bis-dpl`, `ftm`) has a history
of snapshots, one per import whose content changed, and one current snapshot, which is what
screening uses. Entries are stored once per distinct content (keyed by the hash of their canonical
JSON), so a re-import that changes a few entries adds only those. Every import runs in a single
transaction: it is recorded whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from dualcontrol.errors import DualcontrolError, ListError, Problem
from dualcontrol.screening.codec import EntryCodec, digest_of_texts
from dualcontrol.screening.importers import read_list
from dualcontrol.screening.model import ImportReport, ListEntry, ListSource, Snapshot

__all__ = ["SCHEMA_VERSION", "ListStore", "StoreError", "default_db_path"]

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    format TEXT NOT NULL,
    list_date TEXT,
    digest TEXT NOT NULL,
    entries INTEGER NOT NULL,
    files TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS one_current ON snapshots (dataset) WHERE current = 1;
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshot_entries (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    entry_id TEXT NOT NULL,
    blob TEXT NOT NULL REFERENCES blobs (hash),
    PRIMARY KEY (snapshot_id, entry_id)
) WITHOUT ROWID;
"""


class StoreError(DualcontrolError):
    """The list store cannot be opened or used (missing, not a store, another schema)."""


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the list store lives when no path is given (see the module documentation)."""
    env = os.environ if environ is None else environ
    if env.get("DUALCONTROL_LISTS"):
        return Path(env["DUALCONTROL_LISTS"]).expanduser()
    if env.get("DUALCONTROL_HOME"):
        return Path(env["DUALCONTROL_HOME"]).expanduser() / "lists.sqlite3"
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "dualcontrol" / "lists.sqlite3"
    return Path("~/.local/share/dualcontrol/lists.sqlite3").expanduser()


def _snapshot(row: sqlite3.Row) -> Snapshot:
    return Snapshot(
        id=row["id"],
        dataset=row["dataset"],
        format=row["format"],
        list_date=row["list_date"],
        digest=row["digest"],
        entries=row["entries"],
        files=tuple(json.loads(row["files"])),
        imported_at=row["imported_at"],
        current=bool(row["current"]),
    )


class ListStore:
    """An open list store. Use `ListStore.open(path)`; close it, or use it as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._codec = EntryCodec()
        self.path = path

    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> ListStore:
        """Open the store at `path` (default: `default_db_path()`), creating it if allowed."""
        where = Path(path) if path is not None else default_db_path()
        if not where.exists():
            if not create:
                msg = f"no list store at `{where}`: import a list with `dualcontrol lists import`"
                raise StoreError(msg)
            where.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(where, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            version = cls._prepare(connection)
        except sqlite3.DatabaseError as error:
            msg = f"`{where}` is not a dualcontrol list store: {error}"
            raise StoreError(msg) from error
        if version != SCHEMA_VERSION:
            connection.close()
            msg = f"`{where}` has store schema {version}; this version reads {SCHEMA_VERSION}"
            raise StoreError(msg)
        return cls(connection, where)

    @staticmethod
    def _prepare(connection: sqlite3.Connection) -> str:
        connection.executescript(_SCHEMA)
        connection.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return str(row[0])

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> ListStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def snapshots(self, dataset: str | None = None) -> tuple[Snapshot, ...]:
        """Every snapshot, oldest first; only those of `dataset` when given."""
        sql = "SELECT * FROM snapshots"
        args: tuple[str, ...] = ()
        if dataset is not None:
            sql += " WHERE dataset = ?"
            args = (dataset,)
        return tuple(_snapshot(r) for r in self._db.execute(sql + " ORDER BY id", args))

    def current(self) -> tuple[Snapshot, ...]:
        """The current snapshot of each dataset, by dataset name."""
        rows = self._db.execute("SELECT * FROM snapshots WHERE current = 1 ORDER BY dataset")
        return tuple(_snapshot(r) for r in rows)

    def entries(self, snapshot_id: int) -> tuple[ListEntry, ...]:
        """The entries of a snapshot, by entry id."""
        rows = self._db.execute(
            "SELECT b.data FROM snapshot_entries s JOIN blobs b ON b.hash = s.blob"
            " WHERE s.snapshot_id = ? ORDER BY s.entry_id",
            (snapshot_id,),
        )
        return tuple(self._codec.from_json(row[0]) for row in rows)

    def sources(self, datasets: Sequence[str] | None = None) -> tuple[ListSource, ...]:
        """The current snapshots with their entries: what a `Screener` is built from."""
        chosen = [s for s in self.current() if datasets is None or s.dataset in datasets]
        if datasets is not None:
            missing = sorted(set(datasets) - {s.dataset for s in chosen})
            if missing:
                msg = f"no dataset `{missing[0]}` in the list store `{self.path}`"
                raise StoreError(msg)
        return tuple(ListSource(s.ref(), self.entries(s.id)) for s in chosen)

    def import_files(
        self,
        fmt: str,
        paths: Sequence[Path | str],
        *,
        dataset: str | None = None,
        list_date: str | None = None,
    ) -> ImportReport:
        """Read list files of a format and import them as a snapshot of `dataset` (default: fmt).

        Raises `ListError` with every problem of the files; then nothing is imported.
        """
        parsed = read_list(fmt, paths)
        return self.import_snapshot(
            dataset or fmt, fmt, parsed.entries, list_date=list_date, files=parsed.files
        )

    def import_snapshot(
        self,
        dataset: str,
        fmt: str,
        entries: Sequence[ListEntry],
        *,
        list_date: str | None = None,
        files: Sequence[str] = (),
    ) -> ImportReport:
        """Record entries as the new current snapshot of `dataset` and report what changed.

        Content equal to the current snapshot records nothing and reports `identical`.
        """
        problems = []
        if not dataset.strip():
            problems.append(Problem("empty dataset name"))
        if list_date is not None:
            try:
                dt.date.fromisoformat(list_date)
            except ValueError:
                problems.append(Problem(f"list date `{list_date}` is not a date (YYYY-MM-DD)"))
        seen: set[str] = set()
        for entry in entries:
            if entry.entry_id in seen:
                problems.append(Problem(f"duplicate entry id `{entry.entry_id}`"))
            seen.add(entry.entry_id)
        if problems:
            raise ListError(problems)
        texts = {e.entry_id: self._codec.to_json(e) for e in entries}
        hashes = {key: hashlib.sha256(t.encode("utf-8")).hexdigest() for key, t in texts.items()}
        digest = digest_of_texts(texts.items())
        self._db.execute("BEGIN IMMEDIATE")
        try:
            report = self._record(
                dataset=dataset,
                fmt=fmt,
                list_date=list_date,
                files=files,
                digest=digest,
                texts=texts,
                hashes=hashes,
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return report

    def _record(
        self,
        *,
        dataset: str,
        fmt: str,
        list_date: str | None,
        files: Sequence[str],
        digest: str,
        texts: Mapping[str, str],
        hashes: Mapping[str, str],
    ) -> ImportReport:
        row = self._db.execute(
            "SELECT * FROM snapshots WHERE dataset = ? AND current = 1", (dataset,)
        ).fetchone()
        previous = _snapshot(row) if row is not None else None
        before: dict[str, str] = {}
        if previous is not None:
            before = dict(
                self._db.execute(
                    "SELECT entry_id, blob FROM snapshot_entries WHERE snapshot_id = ?",
                    (previous.id,),
                ).fetchall()
            )
        added = tuple(sorted(set(hashes) - set(before)))
        removed = tuple(sorted(set(before) - set(hashes)))
        changed = tuple(sorted(k for k in set(hashes) & set(before) if hashes[k] != before[k]))
        unchanged = len(hashes) - len(added) - len(changed)
        if previous is not None and previous.digest == digest:
            return ImportReport(previous, previous, (), (), (), unchanged, identical=True)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        cursor = self._db.execute(
            "INSERT INTO snapshots (dataset, format, list_date, digest, entries, files,"
            " imported_at, current) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (dataset, fmt, list_date, digest, len(hashes), json.dumps(list(files)), now),
        )
        snapshot_id = cursor.lastrowid
        self._db.executemany(
            "INSERT OR IGNORE INTO blobs (hash, data) VALUES (?, ?)",
            ((hashes[key], texts[key]) for key in sorted(texts)),
        )
        self._db.executemany(
            "INSERT INTO snapshot_entries (snapshot_id, entry_id, blob) VALUES (?, ?, ?)",
            ((snapshot_id, key, hashes[key]) for key in sorted(hashes)),
        )
        self._make_current(dataset, snapshot_id)
        row = self._db.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        return ImportReport(_snapshot(row), previous, added, changed, removed, unchanged, False)

    def _make_current(self, dataset: str, snapshot_id: int | None) -> None:
        self._db.execute("UPDATE snapshots SET current = 0 WHERE dataset = ?", (dataset,))
        self._db.execute("UPDATE snapshots SET current = 1 WHERE id = ?", (snapshot_id,))
