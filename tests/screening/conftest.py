"""Shared fixtures: the real list snapshots (skipped when absent), the demo list, a fresh store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dualcontrol.screening import ListEntry, ListStore, Screener, read_list

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "screening"
OFAC_FILES = ("ofac-sdn-2021-07.csv", "ofac-alt-2021-07.csv", "ofac-add-2021-07.csv")


def shared_file(name: str) -> Path:
    """A file of the shared snapshots, or a clean skip when the snapshots are not there."""
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"shared list snapshot {name} not available")
    return path


@pytest.fixture
def shared() -> Callable[[str], Path]:
    """Look up a shared snapshot file by name; skips the test when it is absent."""
    return shared_file


@pytest.fixture(scope="session")
def ofac_entries() -> tuple[ListEntry, ...]:
    """The OFAC SDN snapshot of July 2021, read once."""
    return read_list("ofac-sdn", [shared_file(name) for name in OFAC_FILES]).entries


@pytest.fixture(scope="session")
def ofac_screener(ofac_entries: tuple[ListEntry, ...]) -> Screener:
    """A screener over the OFAC snapshot, built once."""
    return Screener.from_entries(ofac_entries, dataset="ofac-sdn", fmt="ofac-sdn")


@pytest.fixture(scope="session")
def demo() -> Screener:
    """A screener over the demo list shipped with the package."""
    return Screener.demo()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ListStore]:
    """A new, empty list store in a temporary directory."""
    with ListStore.open(tmp_path / "lists.sqlite3") as opened:
        yield opened
