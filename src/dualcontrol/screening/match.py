"""Name matching: candidate retrieval through an inverted index, then explainable scoring.

Retrieval never scans every name. Each listed name is indexed under its tokens, its adjacent token
pairs written as one (`aero caribbean` also under `aerocaribbean`) and, for tokens of four or more
characters, every one-character deletion (a symmetric-deletion index): a query token finds the
listed tokens at most one edit away (substitution, insertion, deletion or transposition) with a
handful of dictionary lookups; a second table finds the tokens that differ only in their vowels
(`muhammad`, `mohammed`). Candidates are ranked by the weight of the query tokens they share and
only the best `MatchConfig.candidates` are scored.

Scoring lines up query tokens with listed tokens (exact, one typo, sound, joined, close, initial),
each token weighted by `normalize.token_weight`, and takes the weighted share of both names that
lined up. Adjustments then lower it: a contradicting country or date of birth, a different legal
form, a changed word order for organisations; factors keep weak aliases, generic names and very
short names below a confident hit. Every step is recorded in the hit's `Explanation`.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence

import attrs
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from dualcontrol.screening.model import Adjustment, Explanation, ListEntry, TokenMatch
from dualcontrol.screening.normalize import (
    PARTICLES,
    NormalizedName,
    normalize_both,
    normalize_name,
    token_weight,
)

__all__ = ["MatchConfig", "NameIndex", "NameScore", "Query"]

_ORDERED_KINDS = frozenset({"entity", "vessel", "aircraft"})


@attrs.frozen
class MatchConfig:
    """The parameters of matching; `ALGORITHM` names the defaults.

    `threshold`: a hit with at least this score is a match. `typo_cost`: a token one edit away
    scores `1 - typo_cost / length`. `phonetic_similarity`: what tokens differing only in their
    vowels score. `fuzzy_floor`: the least normalised Levenshtein similarity for two leftover
    tokens to count as close. `candidates`: how many retrieved names are scored. The penalties
    are subtracted from the score; the factors multiply it, and each is below `threshold`, so a
    weak alias, a name of generic words only, or a name of `short_length` characters or less
    never makes a confident hit alone.
    """

    threshold: float = 0.85
    typo_cost: float = 1.0
    fuzzy_floor: float = 0.8
    phonetic_similarity: float = 0.8
    initial_similarity: float = 0.5
    order_penalty: float = 0.05
    legal_form_penalty: float = 0.03
    country_penalty: float = 0.10
    date_of_birth_penalty: float = 0.15
    weak_alias_factor: float = 0.75
    generic_factor: float = 0.6
    short_factor: float = 0.6
    short_length: int = 3
    candidates: int = 20


_Item = tuple[str, int, int, int, float]
"""A token, or adjacent tokens written as one: key, first position, end position, position mask,
weight of the tokens covered."""

_Pair = tuple[int, int, int, int, float, str]
"""An aligned pair: query start and end, listed start and end, similarity, how it matched."""


def _items(tokens: tuple[str, ...], weights: tuple[float, ...]) -> tuple[_Item, ...]:
    items = [(token, i, i + 1, 1 << i, weights[i]) for i, token in enumerate(tokens)]
    for i in range(len(tokens) - 1):
        pair = weights[i] + weights[i + 1]
        items.append((tokens[i] + tokens[i + 1], i, i + 2, 3 << i, pair))
        if i + 2 < len(tokens) and tokens[i + 1] in PARTICLES:
            key = tokens[i] + tokens[i + 1] + tokens[i + 2]
            items.append((key, i, i + 3, 7 << i, pair + weights[i + 2]))
    return tuple(items)


@attrs.frozen
class _Form:
    """A normalised name prepared for alignment; `by_key` finds the items of a key at once."""

    norm: NormalizedName
    items: tuple[_Item, ...]
    by_key: dict[str, tuple[_Item, ...]]
    weights: tuple[float, ...]
    total: float
    distinctive: bool
    short: bool
    full: int
    long: tuple[bool, ...]

    @classmethod
    def of(cls, norm: NormalizedName, short_length: int) -> _Form:
        weights = tuple(token_weight(t, person=norm.person) for t in norm.tokens)
        items = _items(norm.tokens, weights)
        by_key: dict[str, tuple[_Item, ...]] = {}
        for item in items:
            by_key[item[0]] = (*by_key.get(item[0], ()), item)
        return cls(
            norm=norm,
            items=items,
            by_key=by_key,
            weights=weights,
            total=sum(weights),
            distinctive=any(w >= 1.0 for w in weights),
            short=len("".join(norm.tokens)) <= short_length,
            full=(1 << len(weights)) - 1,
            long=tuple(len(t) >= 4 for t in norm.tokens),
        )


@attrs.frozen
class IndexedName:
    """A listed name or alias of an entry, prepared for matching."""

    entry: int
    text: str
    kind: str
    weak: bool
    form: _Form


@attrs.frozen
class Query:
    """A query prepared once for every candidate: both readings, as an organisation and a person."""

    text: str
    entity: _Form
    person: _Form
    country: str | None
    date_of_birth: str | None
    address: str | None
    address_tokens: tuple[str, ...] = ()

    def form_for(self, kind: str) -> _Form:
        """The reading to compare with a listed name of this kind."""
        return self.person if kind == "person" else self.entity


@attrs.frozen
class NameScore:
    """A scored candidate name: the score after adjustments, and what it rests on.

    `explanation()` renders the token alignment; it is built only for the hits returned.
    """

    name: IndexedName
    score: float
    name_score: float
    query: _Form
    pairs: tuple[_Pair, ...]
    adjustments: tuple[Adjustment, ...]

    def explanation(self) -> Explanation:
        """Which tokens matched how, and the adjustments in the order applied."""
        tokens = _token_matches(self.query, self.name.form, self.pairs)
        return Explanation(round(self.name_score, 3), tokens, self.adjustments)


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def _typo_keys(form: _Form) -> set[str]:
    """The keys looked up with typos: tokens, and joins with a particle.

    Such joins are how transliterations differ (`abd al rahman`, `abdulrahman`); other joins are
    matched exactly only, which keeps the index small.
    """
    tokens = form.norm.tokens
    keys: set[str] = set()
    for key, start, end, _, _ in form.items:
        if end - start == 1 or any(t in PARTICLES for t in tokens[start:end]):
            keys.add(key)
    return keys


_VOWEL_RUNS = re.compile(r"(?<=.)[aeiouy]+")


def _sound(token: str) -> str | None:
    """A token's sound with vowels aside: `mohammed`, `muhammad` and `mohamed` all give `mahamad`.

    Runs of vowels (after the first letter) become `a`, `ph` becomes `f`, doubled letters become
    one. Only for alphabetic tokens of five letters or more, whose skeleton keeps three consonants.
    """
    if len(token) < 5 or not token.isalpha() or not token.isascii():
        return None
    skeleton = _VOWEL_RUNS.sub("a", token.replace("ph", "f"))
    collapsed = "".join(ch for i, ch in enumerate(skeleton) if i == 0 or ch != skeleton[i - 1])
    if sum(ch != "a" for ch in collapsed) < 3:
        return None
    return collapsed


class NameIndex:
    """An inverted index of listed names and aliases with the scorer over it.

    Built once from entries; immutable afterwards. Entries keep their position: `IndexedName.entry`
    is the index of the entry in the sequence given.
    """

    def __init__(self, entries: Sequence[ListEntry], config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()
        self.entries = tuple(entries)
        names: list[IndexedName] = []
        for position, entry in enumerate(self.entries):
            person = entry.kind == "person"
            variants = [(entry.name, "name", False)]
            variants += [(a.name, a.kind, a.weak) for a in entry.aliases]
            seen: set[tuple[str, bool]] = set()
            for text, kind, weak in variants:
                norm = normalize_name(text, person=person)
                if not norm.tokens or (norm.key, weak) in seen:
                    continue
                seen.add((norm.key, weak))
                form = _Form.of(norm, self.config.short_length)
                names.append(IndexedName(position, text, kind, weak, form))
        self.names = tuple(names)
        self._totals = tuple(name.form.total for name in self.names)
        postings: dict[str, list[int]] = {}
        typo_keys: set[str] = set()
        for number, name in enumerate(self.names):
            typo_keys.update(_typo_keys(name.form))
            for key in name.form.by_key:
                held = postings.get(key)
                if held is None:
                    postings[key] = [number]
                else:
                    held.append(number)
        self._postings = postings
        deletions: dict[str, list[str]] = {}
        sounds: dict[str, list[str]] = {}
        for token in sorted(typo_keys):
            if len(token) < 3:
                continue
            probes = {token} | (_deletions(token) if len(token) >= 4 else set())
            for variant in sorted(probes):
                held_keys = deletions.get(variant)
                if held_keys is None:
                    deletions[variant] = [token]
                else:
                    held_keys.append(token)
            sound = _sound(token)
            if sound is not None:
                sounds.setdefault(sound, []).append(token)
        self._sounds = sounds
        self._deletions = deletions

    def __len__(self) -> int:
        return len(self.names)

    def query(
        self,
        text: str,
        *,
        country: str | None = None,
        date_of_birth: str | None = None,
        address: str | None = None,
    ) -> Query:
        """Prepare a query: its two normalised readings and its context."""
        short = self.config.short_length
        entity, person = normalize_both(text)
        return Query(
            text=text,
            entity=_Form.of(entity, short),
            person=_Form.of(person, short),
            country=country.upper() if country else None,
            date_of_birth=date_of_birth or None,
            address=address or None,
            address_tokens=normalize_name(address, person=True).tokens if address else (),
        )

    def _expand(self, key: str, typos: bool = True) -> dict[str, tuple[float, str]]:
        """Listed keys equal to `key` and, with `typos`, listed keys one edit from it or
        sounding alike (vowels aside)."""
        found: dict[str, tuple[float, str]] = {}
        if key in self._postings:
            found[key] = (1.0, "exact")
        if len(key) < 3 or not typos:
            return found
        probes = {key} | (_deletions(key) if len(key) >= 4 else set())
        cost = self.config.typo_cost
        for probe in sorted(probes):
            for listed in self._deletions.get(probe, ()):
                if listed in found:
                    continue
                distance = OSA.distance(key, listed, score_cutoff=1)
                if distance <= 1:
                    similarity = 1.0 - cost * distance / max(len(key), len(listed))
                    found[listed] = (similarity, "typo")
        sound = _sound(key)
        if sound is not None:
            for listed in self._sounds.get(sound, ()):
                held = found.get(listed)
                if held is None or held[0] < self.config.phonetic_similarity:
                    found[listed] = (self.config.phonetic_similarity, "sound")
        return found

    def search(self, query: Query, floor: float = 0.0) -> tuple[NameScore, ...]:
        """Score the best candidate names for a query, best first (ties by index order).

        Names whose token alignment alone scores below `floor` are dropped unscored: the
        adjustments only ever lower a score.
        """
        weights: dict[str, float] = {}
        typo_keys: set[str] = set()
        for form in (query.entity, query.person):
            typo_keys.update(_typo_keys(form))
            for key, _, _, _, weight in form.items:
                weights[key] = max(weight, weights.get(key, 0.0))
        expanded = {key: self._expand(key, key in typo_keys) for key in weights}
        distinctive = query.entity.distinctive or query.person.distinctive
        gathered: dict[int, float] = defaultdict(float)
        for key, weight in weights.items():
            if distinctive and weight < 1.0:
                continue
            for listed, (similarity, _) in expanded[key].items():
                gain = similarity * weight
                for number in self._postings[listed]:
                    gathered[number] += gain
        size = max(query.entity.total, query.person.total)
        totals = self._totals
        ranked = [(gain / (size + totals[n]), -n) for n, gain in gathered.items()]
        best = heapq.nlargest(self.config.candidates, ranked)
        scored: list[NameScore] = []
        for _, negative in best:
            number = -negative
            found = self._score(query, self.names[number], expanded, floor)
            if found is not None:
                scored.append(found)
        scored.sort(key=lambda s: -s.score)
        return tuple(scored)

    def _score(
        self,
        query: Query,
        name: IndexedName,
        expanded: dict[str, dict[str, tuple[float, str]]],
        floor: float,
    ) -> NameScore | None:
        entry = self.entries[name.entry]
        q = query.form_for(entry.kind)
        n = name.form
        cfg = self.config
        aligned = _align(q, n, expanded, cfg, person=entry.kind == "person", floor=floor)
        if aligned is None:
            return None
        name_score, pairs = aligned
        adjustments: list[Adjustment] = []
        score = name_score
        if entry.kind in _ORDERED_KINDS and _crossed(pairs):
            score -= cfg.order_penalty
            adjustments.append(Adjustment("order", -cfg.order_penalty, "words in another order"))
        q_forms, n_forms = q.norm.legal_forms, n.norm.legal_forms
        if q_forms and n_forms and not set(q_forms) & set(n_forms):
            score -= cfg.legal_form_penalty
            detail = f"legal form `{' '.join(q_forms)}` vs `{' '.join(n_forms)}`"
            adjustments.append(Adjustment("legal_form", -cfg.legal_form_penalty, detail))
        score = self._context(query, entry, score, adjustments)
        factors: list[tuple[str, float, str]] = []
        if name.weak:
            factors.append(("weak_alias", cfg.weak_alias_factor, f"`{name.text}` is a weak alias"))
        if not q.distinctive or not n.distinctive:
            which = "query" if not q.distinctive else "listed name"
            factors.append(("generic_name", cfg.generic_factor, f"{which} has only generic words"))
        if q.short or n.short:
            which = "query" if q.short else "listed name"
            factors.append(("short_name", cfg.short_factor, f"{which} is too short to identify"))
        for feature, factor, detail in factors:
            lowered = max(0.0, score) * factor
            adjustments.append(Adjustment(feature, round(lowered - score, 3), detail))
            score = lowered
        final = round(min(1.0, max(0.0, score)), 3)
        return NameScore(name, final, name_score, q, pairs, tuple(adjustments))

    def _context(
        self, query: Query, entry: ListEntry, score: float, adjustments: list[Adjustment]
    ) -> float:
        cfg = self.config
        if query.country and entry.countries:
            listed = ", ".join(entry.countries)
            if query.country in entry.countries:
                detail = f"`{query.country}` among listed countries `{listed}`"
                adjustments.append(Adjustment("country", 0.0, detail))
            else:
                score -= cfg.country_penalty
                detail = f"`{query.country}` not among listed countries `{listed}`"
                adjustments.append(Adjustment("country", -cfg.country_penalty, detail))
        if query.date_of_birth and entry.dates_of_birth:
            listed = ", ".join(entry.dates_of_birth)
            if any(_dates_agree(query.date_of_birth, d) for d in entry.dates_of_birth):
                detail = f"date of birth `{query.date_of_birth}` agrees with `{listed}`"
                adjustments.append(Adjustment("date_of_birth", 0.0, detail))
            else:
                score -= cfg.date_of_birth_penalty
                detail = f"date of birth `{query.date_of_birth}` contradicts `{listed}`"
                adjustments.append(Adjustment("date_of_birth", -cfg.date_of_birth_penalty, detail))
        if query.address and entry.addresses:
            similar = _similar_address(query.address_tokens, entry)
            if similar is not None:
                detail = f"address resembles listed `{similar}`"
                adjustments.append(Adjustment("address", 0.0, detail))
        return score


def _dates_agree(given: str, listed: str) -> bool:
    """Dates agree when equal as far as both are known (`1966` agrees with `1966-09-08`)."""
    size = min(len(given), len(listed))
    return given[:size] == listed[:size]


def _similar_address(given: tuple[str, ...], entry: ListEntry) -> str | None:
    """The listed address most like the given one (its tokens), if any shares two words and most
    of the rest."""
    if len(given) < 2:
        return None
    best: tuple[float, str] | None = None
    for listed in entry.addresses:
        tokens = normalize_name(listed.text, person=True).tokens
        if len(set(given) & set(tokens)) < 2:
            continue
        similarity = fuzz.token_set_ratio(" ".join(given), " ".join(tokens))
        if similarity >= 85 and (best is None or similarity > best[0]):
            best = (similarity, listed.text)
    return None if best is None else best[1]


def _crossed(pairs: tuple[_Pair, ...]) -> bool:
    listed = [pair[2] for pair in sorted(pairs)]
    return any(a > b for a, b in itertools.pairwise(listed))


_Candidate = tuple[float, int, int, int, int, int, int, int, float, str]
"""A possible pair: minus similarity, span, query start, listed start, query end, listed end,
query mask, listed mask, weight covered, how."""


def _take(candidates: list[_Candidate]) -> tuple[float, float, int, int, list[_Pair]]:
    """Pairs taken in the given order, each token at most once.

    Returns the matched weight (similarity times weight), the weight covered, both masks and
    the pairs.
    """
    used_q = used_n = 0
    matched = covered = 0.0
    pairs: list[_Pair] = []
    for negative, span, qs, ns, qe, ne, qm, nm, weight, kind in candidates:
        if used_q & qm or used_n & nm:
            continue
        used_q |= qm
        used_n |= nm
        matched -= negative * weight
        covered += weight
        how = "joined" if span > 2 and kind != "sound" else kind
        pairs.append((qs, qe, ns, ne, -negative, how))
    return matched, covered, used_q, used_n, pairs


def _align(
    q: _Form,
    n: _Form,
    expanded: dict[str, dict[str, tuple[float, str]]],
    cfg: MatchConfig,
    *,
    person: bool,
    floor: float,
) -> tuple[float, tuple[_Pair, ...]] | None:
    """Line up query and listed tokens greedily and return the weighted share that lined up.

    Pairs are taken best similarity first, single tokens before joined ones; when that leaves
    tokens unpaired on both sides, pairs are also taken by weight covered first, and the better
    alignment wins (a join of three listed tokens can be worth more than one of its particles).
    Leftover tokens are then compared as close spellings or initials. Returns None when the
    share cannot reach `floor`.
    """
    candidates: list[_Candidate] = []
    listed = n.by_key
    q_tokens, n_tokens = q.norm.tokens, n.norm.tokens
    for key, qs, qe, qm, qw in q.items:
        for nkey, (similarity, kind) in expanded[key].items():
            for _, ns, ne, nm, nw in listed.get(nkey, ()):
                if qe - qs > 1 and ne - ns > 1 and q_tokens[qs:qe] == n_tokens[ns:ne]:
                    continue
                span = qe - qs + ne - ns
                candidates.append((-similarity, span, qs, ns, qe, ne, qm, nm, qw + nw, kind))
    candidates.sort()
    matched, covered, used_q, used_n, pairs = _take(candidates)
    partial = used_q != q.full and used_n != n.full
    if partial and any(c[1] > 2 for c in candidates):
        by_weight = sorted(candidates, key=lambda c: (c[0] * c[8], c[1:4]))
        other = _take(by_weight)
        if other[0] > matched:
            matched, covered, used_q, used_n, pairs = other
            partial = used_q != q.full and used_n != n.full
    total = q.total + n.total
    if partial:
        if total and (matched + total - covered) / total < floor:
            return None
        free_q = [i for i in range(len(q_tokens)) if not used_q >> i & 1]
        free_n = [j for j in range(len(n_tokens)) if not used_n >> j & 1]
        leftovers: list[tuple[float, int, int, str]] = []
        for i in free_q:
            a, long_a = q_tokens[i], q.long[i]
            for j in free_n:
                b = n_tokens[j]
                if long_a and n.long[j]:
                    similarity = Levenshtein.normalized_similarity(
                        a, b, score_cutoff=cfg.fuzzy_floor
                    )
                    if similarity:
                        leftovers.append((similarity, i, j, "fuzzy"))
                elif person and (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
                    leftovers.append((cfg.initial_similarity, i, j, "initial"))
        leftovers.sort(key=lambda c: (-c[0], c[1], c[2]))
        for similarity, i, j, how in leftovers:
            if used_q >> i & 1 or used_n >> j & 1:
                continue
            used_q |= 1 << i
            used_n |= 1 << j
            matched += similarity * (q.weights[i] + n.weights[j])
            pairs.append((i, i + 1, j, j + 1, similarity, how))
    score = matched / total if total else 0.0
    return None if score < floor else (score, tuple(pairs))


def _token_matches(q: _Form, n: _Form, pairs: tuple[_Pair, ...]) -> tuple[TokenMatch, ...]:
    """The alignment as explanation: pairs and missing query tokens in query order, then extras."""
    q_tokens, n_tokens = q.norm.tokens, n.norm.tokens
    out: list[tuple[int, TokenMatch]] = []
    covered_q: set[int] = set()
    covered_n: set[int] = set()
    for qs, qe, ns, ne, similarity, how in pairs:
        covered_q.update(range(qs, qe))
        covered_n.update(range(ns, ne))
        weight = (sum(q.weights[qs:qe]) + sum(n.weights[ns:ne])) / 2
        match = TokenMatch(
            " ".join(q_tokens[qs:qe]),
            " ".join(n_tokens[ns:ne]),
            how,
            round(similarity, 3),
            round(weight, 3),
        )
        out.append((qs, match))
    for i, token in enumerate(q_tokens):
        if i not in covered_q:
            out.append((i, TokenMatch(token, "", "missing", 0.0, q.weights[i])))
    out.sort(key=lambda pair: pair[0])
    extras = tuple(
        TokenMatch("", token, "extra", 0.0, n.weights[j])
        for j, token in enumerate(n_tokens)
        if j not in covered_n
    )
    return (*(match for _, match in out), *extras)
