"""Matching: retrieval, token alignment, adjustments, suppression of weak evidence, determinism."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcontrol.screening import (
    ALGORITHM,
    Address,
    Alias,
    Hit,
    ListEntry,
    MatchConfig,
    Screener,
    ScreeningError,
)
from dualcontrol.screening.match import NameIndex


def _entry(entry_id: str, name: str, kind: str = "entity", **changes: Any) -> ListEntry:
    return attrs.evolve(ListEntry(entry_id, "SDN", "SDN List", kind, name), **changes)


ENTRIES = (
    _entry("E-1", "ZEPHYRINE MARITIME HOLDINGS S.A.", countries=("PA",)),
    _entry(
        "P-1",
        "KARIMVAND TAVASSOLI, Bahram Ardeshir",
        "person",
        dates_of_birth=("1968-04-12",),
        countries=("IR",),
    ),
    _entry("E-2", "AERO-CARIBBEAN AIRLINES", aliases=(Alias("BNC", weak=True),)),
    _entry("E-3", "BANCO NACIONAL DE CUBA", aliases=(Alias("NATIONAL BANK", weak=True),)),
    _entry("E-4", "GLOBAL TRADING COMPANY LIMITED"),
    _entry("E-5", "TAN S.A."),
    _entry("E-6", "OVERSEAS NAVIGATION TRADING CORP", addresses=(Address("12 Dock Rd, Lagos"),)),
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.from_entries(ENTRIES, dataset="fixture")


def _top(screener: Screener, name: str, **context: str) -> Hit:
    result = screener.screen(name, **context)  # type: ignore[arg-type]
    assert result.hits, f"no hit for {name!r}"
    return result.hits[0]


@pytest.mark.parametrize(
    ("query", "entry_id", "how"),
    [
        ("Zephyrine Maritime Holdings SA", "E-1", {"exact"}),
        ("zephyrine maritime holdings", "E-1", {"exact"}),
        ("Zephyrine Maritme Holdings S.A.", "E-1", {"exact", "typo"}),
        ("Bahram Ardeshir Karimvand Tavassoli", "P-1", {"exact"}),
        ("AEROCARIBBEAN AIRLINES", "E-2", {"joined", "exact"}),
        ("Banco Nacional de Cuba", "E-3", {"exact"}),
    ],
)
def test_variants_of_a_listed_name_match_it(
    screener: Screener, query: str, entry_id: str, how: set[str]
) -> None:
    hit = _top(screener, query)
    assert (hit.entry_id, hit.match) == (entry_id, True)
    assert {t.how for t in hit.explanation.tokens} == how
    assert hit.score >= screener.threshold


def test_an_exact_name_scores_one_and_explains_each_token(screener: Screener) -> None:
    hit = _top(screener, "ZEPHYRINE MARITIME HOLDINGS S.A.")
    assert hit.score == 1.0
    assert [(t.query, t.listed, t.how) for t in hit.explanation.tokens] == [
        ("zephyrine", "zephyrine", "exact"),
        ("maritime", "maritime", "exact"),
        ("holdings", "holdings", "exact"),
    ]
    assert hit.explanation.adjustments == ()
    assert hit.list_code == "SDN"
    assert hit.matched_name == hit.name == "ZEPHYRINE MARITIME HOLDINGS S.A."


def test_a_typo_is_explained_with_its_similarity(screener: Screener) -> None:
    hit = _top(screener, "Zephyrine Maritime Holdimgs")
    typo = [t for t in hit.explanation.tokens if t.how == "typo"]
    assert [(t.query, t.listed, t.similarity) for t in typo] == [("holdimgs", "holdings", 0.875)]
    assert hit.score < 1.0


def test_contradicting_country_lowers_the_score_by_the_penalty(screener: Screener) -> None:
    plain = _top(screener, "Zephyrine Maritime Holdings")
    agree = _top(screener, "Zephyrine Maritime Holdings", country="PA")
    other = _top(screener, "Zephyrine Maritime Holdings", country="DE")
    assert agree.score == plain.score
    assert other.score == round(plain.score - MatchConfig().country_penalty, 3)
    (adjustment,) = other.explanation.adjustments
    assert adjustment.feature == "country"
    assert "`DE` not among listed countries `PA`" in adjustment.detail


def test_contradicting_date_of_birth_lowers_the_score_and_agreement_does_not(
    screener: Screener,
) -> None:
    name = "Bahram Karimvand Tavassoli"
    plain = _top(screener, name)
    assert _top(screener, name, date_of_birth="1968").score == plain.score
    assert _top(screener, name, date_of_birth="1968-04-12").score == plain.score
    other = _top(screener, name, date_of_birth="1971-02-03")
    assert other.score == round(plain.score - MatchConfig().date_of_birth_penalty, 3)
    assert other.explanation.adjustments[-1].feature == "date_of_birth"


@pytest.mark.parametrize("query", ["CORP", "TRADING", "LIMITED", "Global", "THE COMPANY"])
def test_generic_queries_never_match(screener: Screener, query: str) -> None:
    assert not screener.screen(query).matched


def test_a_listed_name_of_generic_words_is_shown_but_not_a_match(screener: Screener) -> None:
    hit = _top(screener, "Global Trading Co., Ltd.")
    assert hit.entry_id == "E-4"
    assert not hit.match
    assert hit.score == MatchConfig().generic_factor
    assert hit.explanation.adjustments[-1].feature == "generic_name"


def test_weak_aliases_and_very_short_names_never_give_confident_hits(screener: Screener) -> None:
    (weak,) = screener.screen("BNC", min_score=0.0).hits
    assert (weak.entry_id, weak.match, weak.matched_kind) == ("E-2", False, "weak")
    assert weak.score == round(MatchConfig().weak_alias_factor * MatchConfig().short_factor, 3)
    assert {a.feature for a in weak.explanation.adjustments} == {"weak_alias", "short_name"}
    national = _top(screener, "National Bank")
    assert (national.entry_id, national.match) == ("E-3", False)
    assert national.score == MatchConfig().weak_alias_factor
    short = _top(screener, "TAN SA")
    assert (short.entry_id, short.match) == ("E-5", False)


def test_a_name_that_shares_only_generic_words_is_not_a_hit(screener: Screener) -> None:
    assert screener.screen("Overseas Trading Corp").hits == ()
    below = screener.screen("Overseas Trading Corp", min_score=0.0).hits
    assert "E-6" in {h.entry_id for h in below}
    assert all(h.score < 0.7 and not h.match for h in below)


def test_different_word_order_of_an_organisation_costs_a_little(screener: Screener) -> None:
    hit = _top(screener, "Holdings Maritime Zephyrine")
    assert hit.entry_id == "E-1"
    assert hit.score == 1.0 - MatchConfig().order_penalty
    assert hit.explanation.adjustments[0].feature == "order"


def test_a_different_legal_form_costs_a_little(screener: Screener) -> None:
    hit = _top(screener, "Zephyrine Maritime Holdings GmbH")
    assert hit.score == 1.0 - MatchConfig().legal_form_penalty
    assert hit.explanation.adjustments[0].detail == "legal form `gmbh` vs `sa`"


def test_a_resembling_address_is_reported(screener: Screener) -> None:
    result = screener.screen("Overseas Navigation Trading", address="12 Dock Road, Lagos")
    assert result.hits[0].entry_id == "E-6"
    features = [a.feature for a in result.hits[0].explanation.adjustments]
    assert "address" in features


def test_unrelated_names_give_no_hits(screener: Screener) -> None:
    assert screener.screen("Fraunhofer IAF").hits == ()
    assert screener.screen("Acme Instruments Inc.", country="US").hits == ()


def test_results_cite_snapshot_and_algorithm_and_hold_no_time(screener: Screener) -> None:
    result = screener.screen("Zephyrine Maritime Holdings")
    (snapshot,) = result.snapshots
    assert (snapshot.dataset, snapshot.entries) == ("fixture", len(ENTRIES))
    assert snapshot.digest.startswith("sha256:")
    assert result.algorithm == ALGORITHM
    assert result == screener.screen("Zephyrine Maritime Holdings")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", json.dumps(result.as_dict()))


def test_changed_parameters_are_part_of_the_algorithm_name() -> None:
    custom = Screener.from_entries(ENTRIES, config=MatchConfig(typo_cost=0.5, threshold=0.9))
    assert custom.algorithm == f"{ALGORITHM} typo_cost=0.5"
    assert custom.threshold == 0.9


def test_threshold_decides_the_match_flag(screener: Screener) -> None:
    name = "Zephyrine Maritime Holdimgs"
    score = _top(screener, name).score
    assert screener.screen(name, threshold=score).hits[0].match
    assert not screener.screen(name, threshold=min(1.0, score + 0.001)).hits[0].match


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "  "}, "empty name"),
        ({"name": "x", "country": "XX"}, "unknown country code `XX`"),
        ({"name": "x", "date_of_birth": "12/04/1968"}, "is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"name": "x", "threshold": 1.5}, "threshold `1.5` is not between 0 and 1"),
    ],
)
def test_invalid_queries_are_refused(
    screener: Screener, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ScreeningError, match=message):
        screener.screen(**kwargs)  # type: ignore[arg-type]


def test_retrieval_scores_only_a_bounded_number_of_candidates() -> None:
    many = [_entry(f"X-{i}", f"ALPHA TRADER {i:05d} LIMITED") for i in range(2000)]
    index = NameIndex(many, MatchConfig(candidates=15))
    scored = index.search(index.query("Alpha Trader"))
    assert 0 < len(scored) <= 15


def test_hits_are_sorted_by_score_then_ids_and_limited(demo: Screener) -> None:
    result = demo.screen("Zephyrine", limit=3, min_score=0.0)
    keys = [(-h.score, h.dataset, h.list_code, h.entry_id) for h in result.hits]
    assert len(keys) >= 2 and keys == sorted(keys)
    assert demo.screen("Zephyrine", limit=1, min_score=0.0).hits == result.hits[:1]
    twins = Screener.from_entries(
        [_entry("B-2", "ZEPHYRINE HOLDINGS"), _entry("B-1", "ZEPHYRINE HOLDINGS")]
    )
    tied = twins.screen("Zephyrine Holdings").hits
    assert [h.entry_id for h in tied] == ["B-1", "B-2"]
    assert tied[0].score == tied[1].score


_names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(_names)
def test_any_text_screens_without_error_and_scores_stay_in_range(text: str) -> None:
    screener = Screener.demo()
    if not text.strip():
        return
    result = screener.screen(text)
    assert all(0.0 <= h.score <= 1.0 and round(h.score, 3) == h.score for h in result.hits)
    assert list(result.hits) == sorted(result.hits, key=lambda h: (-h.score, h.entry_id))


TRANSLITERATED = (
    _entry("A-1", "AL-HASHIMI, Mohammed Abd al Rahman", "person"),
    _entry("A-2", "HADDAD, Yusuf", "person"),
    _entry("A-3", "CHANG, Chang-ha", "person"),
)


@pytest.mark.parametrize(
    ("query", "entry_id", "expected"),
    [
        ("Muhammad Abd al Rahman Al Hashimi", "A-1", ("muhammad", "mohammed", "sound")),
        ("Mohammed Abdulrahman Al-Hashimi", "A-1", ("abdulrahman", "abd al rahman", "joined")),
        ("Yousef Haddad", "A-2", ("yousef", "yusuf", "sound")),
        ("CHANG Changha", "A-3", ("changha", "chang ha", "joined")),
    ],
)
def test_transliteration_variants_match_and_say_how(
    query: str, entry_id: str, expected: tuple[str, str, str]
) -> None:
    hit = _top(Screener.from_entries(TRANSLITERATED), query)
    assert (hit.entry_id, hit.match) == (entry_id, True)
    assert expected in [(t.query, t.listed, t.how) for t in hit.explanation.tokens]
    assert all(t.how != "missing" for t in hit.explanation.tokens)


def test_names_with_other_consonants_do_not_sound_alike() -> None:
    screener = Screener.from_entries(TRANSLITERATED)
    mahmoud = screener.screen("Mahmoud Abd al Rahman Al Hashimi").hits[0]
    assert not mahmoud.match
    assert ("mahmoud", "", "missing") in [
        (t.query, t.listed, t.how) for t in mahmoud.explanation.tokens
    ]
    assert not screener.screen("Yasin Haddad").matched
