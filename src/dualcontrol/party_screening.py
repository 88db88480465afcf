"""Screening the parties of a case before its facts are built.

Each party is screened by name (with its country and address) against a `Screener`; every hit
at or above the screener's near-match floor becomes a `ScreeningHit` of the case, citing the list
snapshot it came from, so the rulesets decide on it like on a hit the caller supplied. The
record of what was screened against (algorithm, threshold, snapshots) goes into the decision.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from .case import Case, Score, ScreeningBasis, ScreeningHit, ScreeningList, Text
from .screening import Hit, Screener, SnapshotRef, screen_party

__all__ = ["LIST_CODES", "ScreeningRecord", "screen_case"]

LIST_CODES = {
    "EL": "entity_list",
    "DPL": "denied_persons",
    "UVL": "unverified_list",
    "MEU": "military_end_user",
    "SDN": "sdn",
}
"""Short list codes of the official formats -> the case contract's list names; any other list
is `other`."""


@attrs.frozen
class ScreeningRecord:
    """What the parties of a case were screened against."""

    algorithm: str
    threshold: float
    snapshots: tuple[SnapshotRef, ...]


def _source(hit: Hit, snapshots: tuple[SnapshotRef, ...]) -> str:
    for snapshot in snapshots:
        if snapshot.dataset == hit.dataset:
            dated = f"@{snapshot.list_date}" if snapshot.list_date else ""
            return f"{snapshot.dataset}{dated} {snapshot.digest[:19]}"
    return hit.dataset


def _case_hit(party: int, hit: Hit, snapshots: tuple[SnapshotRef, ...]) -> ScreeningHit:
    return ScreeningHit(
        party=party,
        list=ScreeningList(LIST_CODES.get(hit.list_code, "other")),
        entry_id=Text(hit.entry_id),
        name=Text(hit.matched_name or hit.name),
        score=Score(Decimal(str(hit.score))),
        match=hit.match,
        basis=ScreeningBasis("listed"),
        license_requirement=hit.entry.license_requirement,
        license_policy=hit.entry.license_policy,
        source=_source(hit, snapshots),
    )


def screen_case(
    case: Case, screener: Screener, threshold: float | None = None
) -> tuple[Case, ScreeningRecord]:
    """`case` with every party's hits added to its `screening`, and the record of the screening.

    Hits the caller supplied are kept; a hit found again is not added twice.
    """
    found: list[ScreeningHit] = []
    for index, party in enumerate(case.parties):
        result = screen_party(
            screener, party.name, party.country, party.address, threshold=threshold
        )
        found += [_case_hit(index, hit, screener.snapshots) for hit in result.hits]
    known = {(h.party, h.list, h.entry_id) for h in case.screening}
    added = tuple(h for h in found if (h.party, h.list, h.entry_id) not in known)
    record = ScreeningRecord(
        screener.algorithm,
        screener.threshold if threshold is None else threshold,
        screener.snapshots,
    )
    return attrs.evolve(case, screening=case.screening + added), record
