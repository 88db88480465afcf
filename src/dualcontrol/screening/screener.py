"""The screener: names in, explained hits out, citing the list snapshots and the algorithm.

A `Screener` is built once (from a store, from entries in memory, or from the demo list shipped
with the package) and then answers any number of queries; it holds no mutable state, so one
screener can serve a whole batch of cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources

import attrs

from dualcontrol.errors import DualcontrolError
from dualcontrol.screening.codec import content_digest
from dualcontrol.screening.countries import ISO_CODES
from dualcontrol.screening.importers import parse_text
from dualcontrol.screening.match import MatchConfig, NameIndex, NameScore
from dualcontrol.screening.model import Hit, ListEntry, ListSource, ScreeningResult, SnapshotRef
from dualcontrol.screening.store import ListStore

__all__ = [
    "ALGORITHM",
    "DEFAULT_LIMIT",
    "DEFAULT_MIN_SCORE",
    "DEMO_DATASET",
    "Screener",
    "ScreeningError",
    "load_demo_entries",
    "screen_party",
]

ALGORITHM = "dualcontrol-screening/1"
"""The name and version of the matcher with its default parameters, cited by every result.

The version changes whenever normalisation, retrieval, scoring or a default parameter changes.
"""

DEFAULT_LIMIT = 10
"""At most this many hits are returned per query."""

DEFAULT_MIN_SCORE = 0.6
"""Hits scoring below this (or below the threshold, if lower) are not returned."""

DEMO_DATASET = "demo"
_DATE = re.compile(r"\d{4}(-\d\d(-\d\d)?)?")


class ScreeningError(DualcontrolError):
    """A screening query is not valid (empty name, unknown country code, bad threshold, ...)."""


def load_demo_entries() -> tuple[ListEntry, ...]:
    """The fictional demo list shipped with the package, in CSL format (docs/screening.md)."""
    text = (
        resources.files("dualcontrol.screening").joinpath("data/demo-list.csv").read_text("utf-8")
    )
    return parse_text("csl", text, "demo-list.csv")


def _algorithm(config: MatchConfig) -> str:
    defaults = MatchConfig()
    changed = [
        f"{field.name}={getattr(config, field.name)}"
        for field in attrs.fields(MatchConfig)
        if field.name != "threshold"
        and getattr(config, field.name) != getattr(defaults, field.name)
    ]
    return " ".join([ALGORITHM, *changed])


class Screener:
    """Screens names against the entries of one or more list snapshots.

    Entries are indexed once, when the screener is built; `screen` neither scans every entry nor
    changes any state. Datasets are ordered by name, so equal inputs give equal results.
    """

    def __init__(self, sources: Iterable[ListSource], *, config: MatchConfig | None = None) -> None:
        ordered = sorted(sources, key=lambda s: (s.snapshot.dataset, s.snapshot.digest))
        entries: list[ListEntry] = []
        datasets: list[str] = []
        for source in ordered:
            entries.extend(source.entries)
            datasets.extend([source.snapshot.dataset] * len(source.entries))
        self.config = config or MatchConfig()
        self.snapshots: tuple[SnapshotRef, ...] = tuple(s.snapshot for s in ordered)
        self.algorithm = _algorithm(self.config)
        self._datasets = tuple(datasets)
        self._index = NameIndex(entries, self.config)

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[ListEntry],
        *,
        dataset: str = "memory",
        fmt: str = "memory",
        list_date: str | None = None,
        config: MatchConfig | None = None,
    ) -> Screener:
        """A screener over entries held in memory, cited as one snapshot with their digest."""
        kept = tuple(entries)
        ref = SnapshotRef(dataset, fmt, list_date, content_digest(kept), len(kept))
        return cls([ListSource(ref, kept)], config=config)

    @classmethod
    def from_store(
        cls,
        store: ListStore,
        *,
        datasets: Sequence[str] | None = None,
        config: MatchConfig | None = None,
    ) -> Screener:
        """A screener over the current snapshot of every dataset in a store (or of `datasets`)."""
        return cls(store.sources(datasets), config=config)

    @classmethod
    def demo(cls, *, config: MatchConfig | None = None) -> Screener:
        """A screener over the demo list shipped with the package; no store needed."""
        return cls.from_entries(load_demo_entries(), dataset=DEMO_DATASET, fmt="csl", config=config)

    @property
    def threshold(self) -> float:
        """The default threshold: a hit scoring at least this is a match."""
        return self.config.threshold

    @property
    def entry_count(self) -> int:
        """How many entries are screened against."""
        return len(self._index.entries)

    def screen(
        self,
        name: str,
        *,
        country: str | None = None,
        date_of_birth: str | None = None,
        address: str | None = None,
        threshold: float | None = None,
        limit: int = DEFAULT_LIMIT,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> ScreeningResult:
        """Screen one name; `country` (ISO alpha-2) and `date_of_birth` (ISO, may be partial)
        lower the score of entries they contradict, `address` is compared for information.
        """
        cut = self.threshold if threshold is None else threshold
        _check_query(name, country, date_of_birth, cut)
        query = self._index.query(
            name, country=country, date_of_birth=date_of_birth, address=address
        )
        floor = min(min_score, cut)
        best: dict[int, NameScore] = {}
        for scored in self._index.search(query, floor):
            position = scored.name.entry
            held = best.get(position)
            if held is None or _rank(scored) < _rank(held):
                best[position] = scored
        hits = [self._hit(p, s, cut) for p, s in best.items() if s.score >= floor]
        hits.sort(key=lambda h: (-h.score, h.dataset, h.list_code, h.entry_id))
        return ScreeningResult(
            query=name,
            country=country.upper() if country else None,
            date_of_birth=date_of_birth,
            threshold=cut,
            hits=tuple(hits[:limit]),
            snapshots=self.snapshots,
            algorithm=self.algorithm,
        )

    def screen_many(
        self, names: Iterable[str], *, threshold: float | None = None
    ) -> tuple[ScreeningResult, ...]:
        """Screen several names, in order (one result per name)."""
        return tuple(self.screen(name, threshold=threshold) for name in names)

    def _hit(self, position: int, scored: NameScore, threshold: float) -> Hit:
        entry = self._index.entries[position]
        return Hit(
            dataset=self._datasets[position],
            list_code=entry.list_code,
            entry_id=entry.entry_id,
            name=entry.name,
            matched_name=scored.name.text,
            matched_kind="weak" if scored.name.weak else scored.name.kind,
            score=scored.score,
            match=scored.score >= threshold,
            explanation=scored.explanation(),
            entry=entry,
        )


def _rank(scored: NameScore) -> tuple[float, bool, bool, str]:
    return (-scored.score, scored.name.weak, scored.name.kind != "name", scored.name.text)


def _check_query(name: str, country: str | None, date_of_birth: str | None, cut: float) -> None:
    if not name.strip():
        msg = "empty name: nothing to screen"
        raise ScreeningError(msg)
    if country is not None and country.upper() not in ISO_CODES:
        msg = f"unknown country code `{country}`: expected ISO 3166-1 alpha-2"
        raise ScreeningError(msg)
    if date_of_birth is not None and not _DATE.fullmatch(date_of_birth):
        msg = f"date of birth `{date_of_birth}` is not YYYY, YYYY-MM or YYYY-MM-DD"
        raise ScreeningError(msg)
    if not 0.0 <= cut <= 1.0:
        msg = f"threshold `{cut}` is not between 0 and 1"
        raise ScreeningError(msg)


def screen_party(
    screener: Screener,
    name: str,
    country: str | None = None,
    address: str | None = None,
    *,
    date_of_birth: str | None = None,
    threshold: float | None = None,
) -> ScreeningResult:
    """Screen one party of a case: its name, with its country and address as context.

    This is what the decision engine calls for every party. A match (`result.matched`) is a fact
    for the rulesets: the hit's `list_code` (`EL`, `DPL`, `SDN`, `UVL`, ...) says which list,
    `entry.license_requirement` and `entry.license_policy` what the Entity List requires, and
    `result.snapshots` with `result.algorithm` what the finding rests on.
    """
    return screener.screen(
        name, country=country, address=address, date_of_birth=date_of_birth, threshold=threshold
    )
