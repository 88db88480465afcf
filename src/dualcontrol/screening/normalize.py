"""Name normalisation: the same name written differently must give the same tokens.

Steps, in order: repair of Windows-1252 characters that came through a Latin-1 decoding, a
transliteration of Cyrillic and Greek letters and of Latin letters that have no decomposition
(`ß`, `ø`, `ł`), removal of diacritics, case folding, tokenisation (periods and apostrophes inside
a word are dropped, so `S.A.` is `sa` and `O'Neil` is `oneil`; other punctuation separates), and
for organisations the removal of legal forms at the start or end (`ACME CO., LTD.` and `Acme
Company Limited` both give the tokens `acme` and the legal forms `co`, `ltd`). For persons written
`LAST, First` the order becomes `first last`.

Arabic, Chinese and other scripts are folded and tokenised but not transliterated: such names only
match names written in the same script.
"""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType

import attrs
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "GENERIC_WORDS",
    "LEGAL_FORMS",
    "PARTICLES",
    "NormalizedName",
    "fold",
    "normalize_both",
    "normalize_name",
    "token_weight",
    "tokenize",
]

_LATIN = {
    "SMALL LETTER SHARP S": "ss", "SMALL LETTER AE": "ae", "SMALL LIGATURE OE": "oe",
    "SMALL LETTER O WITH STROKE": "o", "SMALL LETTER L WITH STROKE": "l",
    "SMALL LETTER D WITH STROKE": "d", "SMALL LETTER ETH": "d", "SMALL LETTER THORN": "th",
    "SMALL LETTER DOTLESS I": "i", "SMALL LETTER H WITH STROKE": "h", "SMALL LETTER ENG": "n",
    "SMALL LETTER KRA": "k", "SMALL LETTER LONG S": "s",
}  # fmt: skip
_CYRILLIC = {
    "A": "a", "BE": "b", "VE": "v", "GHE": "g", "DE": "d", "IE": "e", "IO": "e", "ZHE": "zh",
    "ZE": "z", "I": "i", "SHORT I": "y", "KA": "k", "EL": "l", "EM": "m", "EN": "n", "O": "o",
    "PE": "p", "ER": "r", "ES": "s", "TE": "t", "U": "u", "EF": "f", "HA": "kh", "TSE": "ts",
    "CHE": "ch", "SHA": "sh", "SHCHA": "shch", "HARD SIGN": "", "YERU": "y", "SOFT SIGN": "",
    "E": "e", "YU": "yu", "YA": "ya", "BYELORUSSIAN-UKRAINIAN I": "i", "YI": "yi",
    "UKRAINIAN IE": "ye", "GHE WITH UPTURN": "g", "SHORT U": "u", "DJE": "dj", "JE": "j",
    "LJE": "lj", "NJE": "nj", "TSHE": "c", "DZHE": "dz", "GJE": "g", "KJE": "k", "DZE": "dz",
}  # fmt: skip
_GREEK = {
    "ALPHA": "a", "BETA": "v", "GAMMA": "g", "DELTA": "d", "EPSILON": "e", "ZETA": "z",
    "ETA": "i", "THETA": "th", "IOTA": "i", "KAPPA": "k", "LAMDA": "l", "MU": "m", "NU": "n",
    "XI": "x", "OMICRON": "o", "PI": "p", "RHO": "r", "SIGMA": "s", "FINAL SIGMA": "s",
    "TAU": "t", "UPSILON": "y", "PHI": "f", "CHI": "ch", "PSI": "ps", "OMEGA": "o",
}  # fmt: skip
_TRANSLIT = str.maketrans(
    {
        "&": " and ",
        **{unicodedata.lookup(f"LATIN {name}"): latin for name, latin in _LATIN.items()},
        **{unicodedata.lookup(f"CYRILLIC SMALL LETTER {n}"): lat for n, lat in _CYRILLIC.items()},
        **{unicodedata.lookup(f"GREEK SMALL LETTER {n}"): lat for n, lat in _GREEK.items()},
    }
)
"""Letters without a decomposition to Latin: Latin specials, Cyrillic and Greek romanised."""
_JOINERS = re.compile("[.'`\u00b4\u2018\u2019\u02bc]")
_WORD = re.compile(r"[^\W_]+")

_SYNONYMS = {
    "company": "co", "limited": "ltd", "corporation": "corp", "incorporated": "inc",
    "intl": "international", "cia": "co", "compania": "co", "compagnie": "co", "companhia": "co",
}  # fmt: skip

_LEGAL_FORM_VARIANTS: dict[str, tuple[str, ...]] = {
    "ltd": ("ltd", "ltda", "limitada"),
    "co": ("co", "and co", "y co", "et co", "e co"),
    "corp": ("corp",),
    "inc": ("inc",),
    "llc": ("llc", "limited liability company", "fz llc", "fzllc"),
    "llp": ("llp", "limited liability partnership"),
    "lp": ("lp", "limited partnership"),
    "plc": ("plc", "public limited company"),
    "gmbh": ("gmbh", "gesellschaft mit beschrankter haftung", "ges m b h", "gesmbh"),
    "gmbh kg": ("gmbh co kg", "gmbh and co kg", "gmbh und co kg", "gmbh and kg", "gmbh kg"),
    "ag": ("ag", "aktiengesellschaft"),
    "kg": ("kg", "kommanditgesellschaft"),
    "sa": ("sa", "sociedad anonima", "societe anonyme", "sociedade anonima", "sa l", "sal"),
    "sa cv": ("sa de cv", "sab de cv", "sapi de cv"),
    "cv": ("de cv", "cv"),
    "srl cv": ("s de rl de cv", "spr de rl de cv"),
    "sas": ("sas",),
    "sca": ("sca", "scs", "s en c", "s en cs", "sociedad en comandita"),
    "ca": ("ca", "compania anonima"),
    "sarl": ("sarl", "societe a responsabilite limitee"),
    "srl": (
        "srl", "s de rl", "spr de rl", "sociedad de responsabilidad limitada",
        "societa a responsabilita limitata",
    ),
    "spa": ("spa", "societa per azioni"),
    "sl": ("sl", "sociedad limitada"),
    "sc": ("sc", "sociedad civil"),
    "bv": ("bv", "besloten vennootschap"),
    "nv": ("nv", "naamloze vennootschap"),
    "ab": ("ab", "aktiebolag"),
    "as": ("as", "asa", "aksjeselskap"),
    "oy": ("oy", "oyj"),
    "kk": ("kk", "kabushiki kaisha"),
    "pte ltd": ("pte", "pte ltd", "private ltd", "pvt ltd", "pvt", "private"),
    "pty ltd": ("pty", "pty ltd", "proprietary ltd"),
    "sdn bhd": ("sdn bhd", "sendirian berhad", "bhd", "berhad"),
    "fze": ("fze", "fzco", "fzc", "fze llc"),
    "jsc": (
        "jsc", "ojsc", "cjsc", "pjsc", "ao", "oao", "zao", "pao", "jtsc", "jstc",
        "joint stock co", "open joint stock co", "closed joint stock co",
        "public joint stock co", "private joint stock co", "joint stock",
        "open joint stock", "closed joint stock", "jointstock co",
        "aktsionernoe obshchestvo", "aktsionernoye obshchestvo",
        "otkrytoe aktsionernoe obshchestvo", "zakrytoe aktsionernoe obshchestvo",
        "publichnoe aktsionernoe obshchestvo",
    ),
    "ooo": (
        "ooo", "tov", "too",
        "obshchestvo s ogranichennoi otvetstvennostyu",
        "obshchestvo s ogranichennoy otvetstvennostyu",
        "obshestvo s ogranichennoi otvetstvennostyu",
    ),
    "doo": ("doo",),
    "sro": ("sro", "spol sro"),
    "sp zoo": ("sp zoo",),
    "ead": ("ead", "eood", "ood"),
    "jv": ("jv", "joint venture"),
}  # fmt: skip


def _canonical(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Runs of single letters joined (`s a` is `sa`, `m & s` is `ms`), then synonyms replaced
    (`company` is `co`; at the first or last two words also misspelt, `limtied` is `ltd`)."""
    joined: list[str] = []
    run = ""
    for number, token in enumerate(tokens):
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        following = tokens[number + 1] if number + 1 < len(tokens) else ""
        if token == "and" and run and len(following) == 1 and following.isalpha():
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(token)
    if run:
        joined.append(run)
    edge = len(joined) - 2
    return tuple(
        _SYNONYMS.get(t) or ((i < 2 or i >= edge) and _fuzzy_synonym(t)) or t
        for i, t in enumerate(joined)
    )


_LONG_WORDS = {
    word: canonical
    for word, canonical in (
        *((w, c) for w, c in _SYNONYMS.items()),
        *((v, v) for forms in _LEGAL_FORM_VARIANTS.values() for v in forms if " " not in v),
    )
    if len(word) >= 6
}
_LONG_WORD_LIST = tuple(sorted(_LONG_WORDS))


def _fuzzy_synonym(token: str) -> str | None:
    """A long legal-form word misspelt by one edit (`limitd`, `compnay`), as its canonical form."""
    if len(token) < 5 or token.isdigit():
        return None
    found = process.extractOne(token, _LONG_WORD_LIST, scorer=OSA.distance, score_cutoff=1)
    return None if found is None else _LONG_WORDS[found[0]]


LEGAL_FORMS: MappingProxyType[tuple[str, ...], str] = MappingProxyType(
    {
        _canonical(tuple(variant.split())): canonical
        for canonical, variants in _LEGAL_FORM_VARIANTS.items()
        for variant in variants
    }
)
"""Token sequences of legal forms, each mapped to its canonical form (`limited` -> `ltd`)."""

_LONGEST_FORM = max(len(tokens) for tokens in LEGAL_FORMS)


def _words(text: str) -> tuple[str, ...]:
    """The words of a text block: keeps long word lists readable."""
    return tuple(text.split())


GENERIC_WORDS: frozenset[str] = frozenset(
    _words(
        """
        trading trade traders international intl group holding holdings industries industry
        industrial enterprise enterprises services service general import export imports exports
        global worldwide commercial commerce investment investments development management
        logistics shipping technology technologies tech engineering solutions systems
        manufacturing products resources partners associates consulting consultants agency
        center centre national united overseas development supply supplies equipment import-
        export impex business ventures venture world energy construction contracting electronics
        network company corporation limited office branch foundation organization organisation
        institute establishment est co ltd corp inc
        """
    )
)
"""Words that many unrelated names share: they count little towards a score."""

PARTICLES: frozenset[str] = frozenset(
    _words(
        """
        the of and for a an in at on to by de del della der den des di do dos das da du la le
        les el al ul ad ar as ash at az bin ibn bint ben abu um umm von van y e et und
        """
    )
)
"""Articles, prepositions and name particles: they count little towards a score."""


def token_weight(token: str, *, person: bool = False) -> float:
    """How much a token counts when names are compared.

    Generic words count 0.2; particles, initials and (in organisation names) two-letter tokens
    0.4; anything else 1.0. In a person's name a two-letter token is a name (`LI`, `HE`). The
    weight depends on the token only, never on the lists loaded, so a score does not change when
    other entries are added.
    """
    if token in GENERIC_WORDS:
        return 0.2
    if token in PARTICLES or len(token) == 1 or (len(token) == 2 and not person):
        return 0.4
    return 1.0


def _repair_cp1252(text: str) -> str:
    if not any("\x80" <= ch <= "\x9f" for ch in text):
        return text
    out: list[str] = []
    for ch in text:
        if "\x80" <= ch <= "\x9f":
            try:
                ch = ch.encode("latin-1").decode("cp1252")  # noqa: PLW2901
            except UnicodeDecodeError:
                ch = " "  # noqa: PLW2901
        out.append(ch)
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case ASCII-like text: transliterated, without diacritics, case folded."""
    if text.isascii():
        return text.lower().replace("&", " and ")
    repaired = _repair_cp1252(text).casefold().translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", repaired)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_TRANSLIT)


def tokenize(text: str) -> tuple[str, ...]:
    """The words of a text after `fold`: `S.A.` gives `sa`, `Aero-Caribbean` gives two tokens."""
    return tuple(_WORD.findall(_JOINERS.sub("", fold(text))))


@attrs.frozen
class NormalizedName:
    """A name reduced to what identifies it: core tokens in order, and legal forms apart."""

    original: str
    tokens: tuple[str, ...]
    legal_forms: tuple[str, ...]
    person: bool

    @property
    def key(self) -> str:
        """The tokens joined by spaces: equal keys mean equal names after normalisation."""
        return " ".join(self.tokens)


def _match_form(tokens: tuple[str, ...], start: int) -> tuple[int, str] | None:
    for size in range(min(_LONGEST_FORM, len(tokens) - start), 0, -1):
        canonical = LEGAL_FORMS.get(tokens[start : start + size])
        if canonical is not None:
            return size, canonical
    return None


def _match_form_ending(tokens: tuple[str, ...], start: int, end: int) -> tuple[int, str] | None:
    for size in range(min(_LONGEST_FORM, end - start), 0, -1):
        canonical = LEGAL_FORMS.get(tokens[end - size : end])
        if canonical is not None:
            return size, canonical
    return None


_SHORT_FORMS: dict[str, str] = {
    variant[0]: canonical
    for variant, canonical in LEGAL_FORMS.items()
    if len(variant) == 1 and len(variant[0]) >= 4
}
_SHORT_FORM_LIST = tuple(sorted(_SHORT_FORMS))


def _fuzzy_form(token: str) -> tuple[int, str] | None:
    """The last word of a name, one edit from a legal form of four letters or more (`gmibh`)."""
    if len(token) < 4:
        return None
    found = process.extractOne(token, _SHORT_FORM_LIST, scorer=OSA.distance, score_cutoff=1)
    return None if found is None else (1, _SHORT_FORMS[found[0]])


def _split_legal_forms(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Legal forms in the leading and trailing runs; a form inside the name stays a word."""
    lead: list[str] = []
    start = 0
    while start < len(tokens) - 1:
        found = _match_form(tokens, start)
        if found is None or start + found[0] >= len(tokens):
            break
        lead.append(found[1])
        start += found[0]
    trail: list[str] = []
    end = len(tokens)
    while end > start:
        found = _match_form_ending(tokens, start, end)
        if found is None and end == len(tokens) and end - start > 1:
            found = _fuzzy_form(tokens[end - 1])
        if found is None:
            break
        trail.append(found[1])
        end -= found[0]
    forms = tuple(sorted({form for canonical in (*lead, *trail) for form in canonical.split()}))
    return tokens[start:end], forms


def _organisation(text: str, tokens: tuple[str, ...]) -> NormalizedName:
    canonical = _canonical(tokens)
    core, forms = _split_legal_forms(canonical)
    if not core:
        return NormalizedName(text, canonical, (), person=False)
    return NormalizedName(text, core, forms, person=False)


def _person_order(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Tokens as written, and in `first last` order when one comma marks `LAST, First`."""
    head, sep, tail = text.partition(",")
    if sep and "," not in tail:
        first, last = tokenize(tail), tokenize(head)
        return last + first, first + last
    tokens = tokenize(text)
    return tokens, tokens


def normalize_name(text: str, *, person: bool = False) -> NormalizedName:
    """Normalise a listed or queried name.

    For a person (`person=True`) a single comma marks the `LAST, First` order of the lists and
    the tokens are put in `first last` order; legal forms are left alone. For anything else
    legal forms are removed from the start and the end and kept apart, so that `ACME LTD` and
    `ACME LIMITED` give the same tokens. A name made only of legal forms keeps them as tokens.
    """
    written, ordered = _person_order(text)
    if person:
        return NormalizedName(text, _canonical(ordered), (), person=True)
    return _organisation(text, written)


def normalize_both(text: str) -> tuple[NormalizedName, NormalizedName]:
    """A query read both ways, as an organisation and as a person, tokenised once."""
    written, ordered = _person_order(text)
    person = NormalizedName(text, _canonical(ordered), (), person=True)
    return _organisation(text, written), person
