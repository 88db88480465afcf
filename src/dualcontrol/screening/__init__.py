"""Restricted-party screening: official list formats, an embedded list store, explainable matching.

The core calls, for every party of a case::

    from dualcontrol.screening import ListStore, Screener, screen_party

    with ListStore.open(path) as store:          # or ListStore.open() for the default location
        screener = Screener.from_store(store)    # build once, screen many
    result = screen_party(screener, "Acme Ltd", country="DE", address="Tullastrasse 72")
    for hit in result.matches:                   # hits at or above the threshold
        hit.list_code, hit.entry_id, hit.score, hit.explanation
    result.snapshots, result.algorithm           # what a decision cites

`Screener.demo()` screens against the fictional demo list shipped with the package.
"""

from __future__ import annotations

from dualcontrol.screening.codec import content_digest
from dualcontrol.screening.countries import country_code
from dualcontrol.screening.importers import FORMATS, ParsedList, parse_text, read_list
from dualcontrol.screening.match import MatchConfig
from dualcontrol.screening.model import (
    Address,
    Adjustment,
    Alias,
    Explanation,
    Hit,
    Identifier,
    ImportReport,
    ListEntry,
    ListSource,
    ScreeningResult,
    Snapshot,
    SnapshotRef,
    TokenMatch,
)
from dualcontrol.screening.normalize import NormalizedName, normalize_name
from dualcontrol.screening.screener import (
    ALGORITHM,
    DEMO_DATASET,
    Screener,
    ScreeningError,
    load_demo_entries,
    screen_party,
)
from dualcontrol.screening.store import ListStore, StoreError, default_db_path

__all__ = [
    "ALGORITHM",
    "DEMO_DATASET",
    "FORMATS",
    "Address",
    "Adjustment",
    "Alias",
    "Explanation",
    "Hit",
    "Identifier",
    "ImportReport",
    "ListEntry",
    "ListSource",
    "ListStore",
    "MatchConfig",
    "NormalizedName",
    "ParsedList",
    "Screener",
    "ScreeningError",
    "ScreeningResult",
    "Snapshot",
    "SnapshotRef",
    "StoreError",
    "TokenMatch",
    "content_digest",
    "country_code",
    "default_db_path",
    "load_demo_entries",
    "normalize_name",
    "parse_text",
    "read_list",
    "screen_party",
]
