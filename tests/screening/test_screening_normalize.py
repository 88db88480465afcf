"""Normalisation: the same name written differently gives the same tokens."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcontrol.screening.normalize import (
    fold,
    normalize_both,
    normalize_name,
    token_weight,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Müller", "muller"),
        ("SÃO PAULO", "sao paulo"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("Ømega", "omega"),
        ("\u041e\u041e\u041e \u0420\u043e\u043c\u0430\u0448\u043a\u0430", "ooo romashka"),
        ("Щукин", "shchukin"),
        ("Αθήνα", "athina"),
        ("AT&T", "at and t"),
        ("Gui\x92an", "gui\u2019an"),
    ],
)
def test_fold_removes_case_diacritics_and_transliterates(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_tokenize_drops_periods_and_apostrophes_inside_words_and_splits_on_the_rest() -> None:
    assert tokenize("S.A.") == ("sa",)
    assert tokenize("O'Neil-Smith, J.P.") == ("oneil", "smith", "jp")
    assert tokenize("AERO-CARIBBEAN (HAVANA)/CUBA") == ("aero", "caribbean", "havana", "cuba")


@pytest.mark.parametrize(
    "variant",
    [
        "ACME TRADING LTD",
        "Acme Trading Limited",
        "ACME TRADING, LTD.",
        "acme trading ltd",
        "Acme Trading Limtied",
    ],
)
def test_legal_form_variants_give_the_same_tokens(variant: str) -> None:
    norm = normalize_name(variant)
    assert norm.tokens == ("acme", "trading")
    assert norm.legal_forms == ("ltd",)


@pytest.mark.parametrize(
    ("text", "tokens", "forms"),
    [
        ("Siemens Aktiengesellschaft", ("siemens",), ("ag",)),
        ("ZEPHYRINE MARITIME HOLDINGS S.A.", ("zephyrine", "maritime", "holdings"), ("sa",)),
        ("Grupo Norte, S. A. de C. V.", ("grupo", "norte"), ("cv", "sa")),
        ("OOO ROMASHKA", ("romashka",), ("ooo",)),
        ("Joint Stock Company Sevastopol Bank", ("sevastopol", "bank"), ("jsc",)),
        ("Fourth Ocean GmbH & Co. KG", ("fourth", "ocean"), ("gmbh", "kg")),
        ("THE EAGLES L.L.C.", ("the", "eagles"), ("llc",)),
    ],
)
def test_legal_forms_at_either_end_are_set_apart(
    text: str, tokens: tuple[str, ...], forms: tuple[str, ...]
) -> None:
    norm = normalize_name(text)
    assert (norm.tokens, norm.legal_forms) == (tokens, forms)


def test_a_legal_form_inside_a_name_stays_a_word() -> None:
    assert normalize_name("SHIPPING COMPANY OF IRAN").tokens == ("shipping", "co", "of", "iran")


def test_a_name_of_legal_forms_only_keeps_them_as_tokens() -> None:
    norm = normalize_name("CORP")
    assert norm.tokens == ("corp",)
    assert norm.legal_forms == ()


def test_initials_are_joined_so_spacing_does_not_matter() -> None:
    assert normalize_name("T N K FABRICS").tokens == normalize_name("T.N.K. Fabrics").tokens
    assert normalize_name("M & S Syndicate").tokens == ("ms", "syndicate")


def test_person_names_in_list_order_are_put_in_natural_order() -> None:
    norm = normalize_name("TSERTSEL, Ivan Stanislavavich", person=True)
    assert norm.tokens == ("ivan", "stanislavavich", "tsertsel")
    assert norm.legal_forms == ()


def test_persons_keep_tokens_that_would_be_legal_forms_for_companies() -> None:
    assert normalize_name("WANG, Ao", person=True).tokens == ("ao", "wang")
    assert normalize_name("WANG Ao").tokens == ("wang",)


def test_normalize_both_reads_a_query_as_organisation_and_as_person() -> None:
    entity, person = normalize_both("KIM, Chol Su Ltd")
    assert entity.tokens == ("kim", "chol", "su")
    assert person.tokens == ("chol", "su", "ltd", "kim")


def test_token_weights_favour_distinctive_words() -> None:
    assert token_weight("zephyrine") == 1.0
    assert token_weight("trading") == 0.2
    assert token_weight("al") == 0.4
    assert token_weight("xu") == 0.4
    assert token_weight("xu", person=True) == 1.0
    assert token_weight("j", person=True) == 0.4


_words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=10)


@given(st.lists(_words, min_size=1, max_size=6))
def test_case_and_separators_never_change_tokens(words: list[str]) -> None:
    spaced = normalize_name(" ".join(words))
    assert normalize_name(" ".join(words).upper()).tokens == spaced.tokens
    assert normalize_name(" ,  ".join(w.lower() for w in words)).tokens == spaced.tokens


@given(st.lists(_words, min_size=2, max_size=5))
def test_person_order_does_not_depend_on_the_comma_form(words: list[str]) -> None:
    last, first = words[0], words[1:]
    listed = normalize_name(f"{last}, {' '.join(first)}", person=True)
    natural = normalize_name(f"{' '.join(first)} {last}", person=True)
    assert listed.tokens == natural.tokens
