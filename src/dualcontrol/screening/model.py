"""The data of screening: list entries, snapshots, and screening results with their explanations.

Everything here is a frozen attrs class holding tuples, so a result can be cached, compared and
serialised without surprises. Dates are ISO 8601 strings (`2019-06-05`; a date of birth may be
partial, `1966` or `1966-09`), countries ISO 3166-1 alpha-2 codes.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "ENTRY_KINDS",
    "Address",
    "Adjustment",
    "Alias",
    "Explanation",
    "Hit",
    "Identifier",
    "ImportReport",
    "ListEntry",
    "ListSource",
    "ScreeningResult",
    "Snapshot",
    "SnapshotRef",
    "TokenMatch",
]

ENTRY_KINDS = ("entity", "person", "vessel", "aircraft", "unknown")
"""What a list entry designates; lists that do not say give `unknown`."""


@attrs.frozen
class Alias:
    """Another name of a listed party.

    `kind` is `aka`, `fka` (formerly known as) or `nka` (now known as). A weak alias (OFAC's
    "low quality a.k.a.", FollowTheMoney's `weakAlias`) is too vague to identify anyone on its
    own: it is matched, but never gives a confident hit.
    """

    name: str
    kind: str = "aka"
    weak: bool = False


@attrs.frozen
class Address:
    """A listed address: the text as the list gives it, and its country code when known."""

    text: str
    country: str | None = None


@attrs.frozen
class Identifier:
    """An identifying number of a listed party (passport, tax id, IMO number, ...)."""

    kind: str
    value: str
    country: str | None = None


@attrs.frozen
class ListEntry:
    """One party on a restricted-party list.

    `entry_id` is unique within a dataset (for example `SDN-306`, `EL-5f3a...`). `list_code` is
    the short code of the list the party is on (`SDN`, `EL`, `DPL`, `UVL`, `MEU`, `ISN`, `SSI`,
    ...); rulesets decide on it. `countries` gathers every country the list links to the party
    (addresses, nationality, citizenship), sorted.
    """

    entry_id: str
    list_code: str
    list_name: str
    kind: str
    name: str
    aliases: tuple[Alias, ...] = ()
    addresses: tuple[Address, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    programs: tuple[str, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    start_date: str | None = None
    end_date: str | None = None
    license_requirement: str | None = None
    license_policy: str | None = None
    federal_register_notice: str | None = None
    remarks: str | None = None
    source_url: str | None = None


@attrs.frozen
class SnapshotRef:
    """What a screening result cites: which list content it was screened against.

    `digest` is `sha256:` and the hash of the canonical content of every entry, so two stores
    holding the same list content cite the same digest.
    """

    dataset: str
    format: str
    list_date: str | None
    digest: str
    entries: int


@attrs.frozen
class Snapshot:
    """One import of a list into the store."""

    id: int
    dataset: str
    format: str
    list_date: str | None
    digest: str
    entries: int
    files: tuple[str, ...]
    imported_at: str
    current: bool

    def ref(self) -> SnapshotRef:
        """The part of the snapshot a decision cites."""
        return SnapshotRef(self.dataset, self.format, self.list_date, self.digest, self.entries)


@attrs.frozen
class ListSource:
    """A list's entries with the snapshot they come from: what a `Screener` is built on."""

    snapshot: SnapshotRef
    entries: tuple[ListEntry, ...]


@attrs.frozen
class ImportReport:
    """What an import changed, against the dataset's previous current snapshot.

    `identical` is true when the content equals the current snapshot: then no new snapshot is
    recorded and `snapshot` is the existing one.
    """

    snapshot: Snapshot
    previous: Snapshot | None
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    identical: bool


@attrs.frozen
class TokenMatch:
    """How one query token lined up with the listed name.

    `how` is one of `exact`, `typo` (one edit), `sound` (alike but for vowels, `MOHAMMED` and
    `MUHAMMAD`), `fuzzy` (close, several edits), `joined` (two tokens written as one, `AERO
    CARIBBEAN` and `AEROCARIBBEAN`), `initial` (`J` for `JOHN`),
    `missing` (a query token with no counterpart) or `extra` (a listed token with no
    counterpart). `weight` is how much the token counts: generic words (`TRADING`, `GROUP`) and
    particles (`AL`, `DE`) count little. `query` or `listed` is empty for `extra` and `missing`.
    """

    query: str
    listed: str
    how: str
    similarity: float
    weight: float


@attrs.frozen
class Adjustment:
    """A change of the name score by another feature, with its reason.

    `feature` is one of `order`, `legal_form`, `country`, `date_of_birth`, `weak_alias`,
    `generic_name`, `short_name`, `address`. `effect` is the change of the score (negative for
    a penalty, 0 for information only); a factor reports the amount it removed.
    """

    feature: str
    effect: float
    detail: str


@attrs.frozen
class Explanation:
    """Why a name scored what it scored: token alignment, then adjustments in order."""

    name_score: float
    tokens: tuple[TokenMatch, ...]
    adjustments: tuple[Adjustment, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "name_score": self.name_score,
            "tokens": [attrs.asdict(t) for t in self.tokens],
            "adjustments": [attrs.asdict(a) for a in self.adjustments],
        }


@attrs.frozen
class Hit:
    """A listed party that resembles the query.

    `name` is the entry's listed name, `matched_name` the name or alias that scored best.
    `score` is in 0..1 with three decimals; `match` tells whether it reaches the threshold.
    """

    dataset: str
    list_code: str
    entry_id: str
    name: str
    matched_name: str
    matched_kind: str
    score: float
    match: bool
    explanation: Explanation
    entry: ListEntry

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of `dualcontrol screen`."""
        return {
            "list": self.list_code,
            "entry_id": self.entry_id,
            "name": self.name,
            "matched_name": self.matched_name,
            "score": self.score,
            "match": self.match,
            "explanation": self.explanation.as_dict(),
            "dataset": self.dataset,
        }


@attrs.frozen
class ScreeningResult:
    """The outcome of screening one name: hits best first, and what was screened against.

    `snapshots` and `algorithm` let a decision cite exactly which list content and which matcher
    produced the hits. The result holds no timestamp: the same query against the same lists
    gives an equal result.
    """

    query: str
    country: str | None
    date_of_birth: str | None
    threshold: float
    hits: tuple[Hit, ...]
    snapshots: tuple[SnapshotRef, ...]
    algorithm: str

    @property
    def matched(self) -> bool:
        """Whether any hit reaches the threshold."""
        return any(hit.match for hit in self.hits)

    @property
    def matches(self) -> tuple[Hit, ...]:
        """The hits that reach the threshold."""
        return tuple(hit for hit in self.hits if hit.match)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of `dualcontrol screen`: one object per query."""
        return {
            "query": self.query,
            "country": self.country,
            "date_of_birth": self.date_of_birth,
            "threshold": self.threshold,
            "hits": [hit.as_dict() for hit in self.hits],
            "snapshots": [attrs.asdict(s) for s in self.snapshots],
            "algorithm": self.algorithm,
        }
