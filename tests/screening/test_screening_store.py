"""The list store: snapshots, digests, diffs on re-import, transactions, location."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from dualcontrol.errors import ListError
from dualcontrol.screening import (
    Address,
    Alias,
    ListEntry,
    ListStore,
    Screener,
    StoreError,
    content_digest,
    default_db_path,
    load_demo_entries,
)
from dualcontrol.screening.codec import EntryCodec, EntryDecodeError


def _entry(entry_id: str, name: str, **changes: Any) -> ListEntry:
    entry = ListEntry(entry_id, "EL", "Entity List", "entity", name)
    return attrs.evolve(entry, **changes)


FIRST = (
    _entry("EL-1", "Alpha Optics"),
    _entry("EL-2", "Beta Machines", addresses=(Address("1 Road, Minsk", "BY"),)),
    _entry("EL-3", "Gamma Labs"),
)


def test_first_import_records_a_current_snapshot_with_every_entry(store: ListStore) -> None:
    report = store.import_snapshot("el", "csl", FIRST, list_date="2026-01-01", files=("a.csv",))
    assert report.previous is None
    assert report.added == ("EL-1", "EL-2", "EL-3")
    assert (report.changed, report.removed, report.identical) == ((), (), False)
    snap = report.snapshot
    assert (snap.dataset, snap.format, snap.list_date, snap.entries) == (
        "el",
        "csl",
        "2026-01-01",
        3,
    )
    assert snap.files == ("a.csv",)
    assert snap.current
    assert snap.digest == content_digest(FIRST)
    assert store.entries(snap.id) == FIRST
    assert store.current() == (snap,)


def test_reimport_reports_added_changed_removed_and_keeps_history(store: ListStore) -> None:
    first = store.import_snapshot("el", "csl", FIRST).snapshot
    second_entries = (
        FIRST[0],
        attrs.evolve(FIRST[1], aliases=(Alias("Beta Machinery"),)),
        _entry("EL-4", "Delta Tools"),
    )
    report = store.import_snapshot("el", "csl", second_entries)
    assert report.previous == attrs.evolve(first, current=True)
    assert (report.added, report.changed, report.removed) == (("EL-4",), ("EL-2",), ("EL-3",))
    assert report.unchanged == 1
    history = store.snapshots("el")
    assert [s.id for s in history] == [first.id, report.snapshot.id]
    assert [s.current for s in history] == [False, True]
    assert store.entries(first.id) == FIRST
    assert store.entries(report.snapshot.id) == second_entries


def test_identical_content_records_nothing(store: ListStore) -> None:
    first = store.import_snapshot("el", "csl", FIRST).snapshot
    again = store.import_snapshot("el", "csl", tuple(reversed(FIRST)))
    assert again.identical
    assert again.snapshot.id == first.id
    assert (again.added, again.changed, again.removed, again.unchanged) == ((), (), (), 3)
    assert len(store.snapshots()) == 1


def test_datasets_are_independent_and_sources_give_current_content(store: ListStore) -> None:
    store.import_snapshot("el", "csl", FIRST)
    store.import_snapshot("demo", "csl", load_demo_entries())
    sources = store.sources()
    assert [s.snapshot.dataset for s in sources] == ["demo", "el"]
    assert sources[1].entries == FIRST
    assert [s.snapshot.dataset for s in store.sources(["el"])] == ["el"]
    with pytest.raises(StoreError, match="no dataset `nope`"):
        store.sources(["nope"])


def test_a_failing_import_leaves_the_store_as_it_was(
    store: ListStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.import_snapshot("el", "csl", FIRST).snapshot

    def explode(self: ListStore, dataset: str, snapshot_id: int | None) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ListStore, "_make_current", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.import_snapshot("el", "csl", (*FIRST, _entry("EL-9", "Omega")))
    assert store.snapshots() == (before,)
    assert store.entries(before.id) == FIRST
    with sqlite3.connect(store.path) as raw:
        count = raw.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
        rows = raw.execute("SELECT COUNT(*) FROM snapshot_entries").fetchone()[0]
    assert (count, rows) == (3, 3)


def test_bad_files_and_bad_metadata_import_nothing(store: ListStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("source,name\nEntity List (EL) - BIS,\n", encoding="utf-8")
    with pytest.raises(ListError, match=r"bad.csv:2: empty `name`"):
        store.import_files("csl", [bad])
    with pytest.raises(ListError, match="duplicate entry id `EL-1`"):
        store.import_snapshot("el", "csl", (FIRST[0], FIRST[0]))
    with pytest.raises(ListError, match="list date `yesterday` is not a date"):
        store.import_snapshot("el", "csl", FIRST, list_date="yesterday")
    assert store.snapshots() == ()


def test_import_files_names_the_dataset_after_the_format(
    store: ListStore, shared: Callable[[str], Path]
) -> None:
    report = store.import_files("bis-dpl", [shared("bis-dpl-2022-09.txt")], list_date="2022-09-01")
    assert report.snapshot.dataset == "bis-dpl"
    assert report.snapshot.entries == 461
    screener = Screener.from_store(store)
    assert screener.snapshots == (report.snapshot.ref(),)


def test_opening_fails_cleanly_on_missing_foreign_and_newer_stores(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no list store at"):
        ListStore.open(tmp_path / "none.sqlite3", create=False)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(StoreError, match="is not a dualcontrol list store"):
        ListStore.open(junk)
    newer = tmp_path / "newer.sqlite3"
    ListStore.open(newer).close()
    with sqlite3.connect(newer) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="has store schema 99"):
        ListStore.open(newer)


def test_default_location_follows_the_environment(tmp_path: Path) -> None:
    assert default_db_path({"DUALCONTROL_LISTS": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    home = {"DUALCONTROL_HOME": str(tmp_path), "XDG_DATA_HOME": "/elsewhere"}
    assert default_db_path(home) == tmp_path / "lists.sqlite3"
    xdg = default_db_path({"XDG_DATA_HOME": str(tmp_path)})
    assert xdg == tmp_path / "dualcontrol" / "lists.sqlite3"
    assert default_db_path({}).parts[-4:] == (".local", "share", "dualcontrol", "lists.sqlite3")


def test_codec_round_trips_entries_and_refuses_unknown_keys() -> None:
    codec = EntryCodec()
    for entry in load_demo_entries():
        assert codec.from_json(codec.to_json(entry)) == entry
    text = codec.to_json(FIRST[0]).replace('{"addresses"', '{"colour":"red","addresses"')
    with pytest.raises(EntryDecodeError, match=r"extra fields found \(colour\)"):
        codec.from_json(text)


def test_digest_depends_on_content_not_order() -> None:
    assert content_digest(FIRST) == content_digest(reversed(FIRST))
    assert content_digest(FIRST) != content_digest(FIRST[:2])
    renamed = (attrs.evolve(FIRST[0], name="Alpha Optic"), *FIRST[1:])
    assert content_digest(FIRST) != content_digest(renamed)
