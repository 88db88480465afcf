"""Screening quality on the OFAC SDN snapshot in ../shared/data/screening/: recall and precision.

Positives are variants of listed names, made here with plain string operations that know nothing of
the matcher: case, punctuation, legal-form changes, person names in natural order, one-letter
typos, and the entry's own (strong) aliases. Negatives are plausible names that are not listed:
person names recombined from the first names of one listed person and the surname of another,
organisation names recombined from the words of two listed organisations, and common real-world
company and person names. A recombined name must take a rare word (one in at most 20 listed names,
of 4 letters or more) from each of its two sources, and a negative is dropped when its words all
occur in one listed name or include all words of one (it is then arguably a listed name with a word
added or left out, not an unlisted name). Everything is drawn with a fixed seed.

A positive is found when its entry is among the matches (score >= threshold). A false positive is a
negative with any match, or a positive whose only matches are other entries.

Run: `.venv/bin/python benchmarks/screening_quality.py [--entries N] [--seed S] [--sweep]`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import attrs

from dualcontrol.screening import ListEntry, Screener, read_list

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "screening"
FILES = ("ofac-sdn-2021-07.csv", "ofac-alt-2021-07.csv", "ofac-add-2021-07.csv")


def words_of(text: str) -> tuple[str, ...]:
    """The words of a text block."""
    return tuple(text.split())


# The generator's own table of legal-form rewrites: (pattern, replacements).
LEGAL_REWRITES = (
    (r"\bLIMITED\b", ("LTD", "LTD.", "")),
    (r"\bLTD\b\.?", ("LIMITED", "")),
    (r"\bCOMPANY\b", ("CO.", "CO", "")),
    (r"\bCO\.", ("COMPANY", "")),
    (r"\bCORPORATION\b", ("CORP.", "CORP", "")),
    (r"\bCORP\b\.?", ("CORPORATION",)),
    (r"\bINC\b\.?", ("INCORPORATED", "")),
    (r"\bS\.A\.(?![A-Z])", ("SA", "S A", "SOCIEDAD ANONIMA", "")),
    (r"\bLLC\b", ("L.L.C.", "LIMITED LIABILITY COMPANY", "")),
    (r"\bGMBH\b", ("G.M.B.H.", "")),
    (r"\bS\.R\.L\.", ("SRL", "")),
    (r"\bOOO\b", ("LLC", "")),
    (r"\bJSC\b", ("JOINT STOCK COMPANY", "")),
    (r"\bPJSC\b", ("PUBLIC JOINT STOCK COMPANY", "")),
)
LEGAL_WORDS = frozenset(
    words_of(
        """
        LTD LIMITED LTDA CO COMPANY CIA CORP CORPORATION INC INCORPORATED SA SAS SAL DE CV LLC
        GMBH KG SRL OOO JSC PJSC OJSC CJSC AO OAO ZAO PAO AG AB AS ASA OY OYJ BV NV PLC LLP FZE
        FZCO SARL SPA PTE PVT PRIVATE EOOD OOD EAD DOO SDN BHD JOINT STOCK
        """
    )
)

COMMON_COMPANIES = """
Siemens AG; Robert Bosch GmbH; Toyota Motor Corporation; Nestle S.A.; Unilever PLC; Samsung
Electronics Co., Ltd.; Sony Group Corporation; General Electric Company; Honeywell International
Inc.; Thales S.A.; Airbus SE; Rolls-Royce Holdings plc; BASF SE; Bayer AG; Hitachi, Ltd.;
Mitsubishi Electric Corporation; Panasonic Holdings Corporation; Philips Electronics N.V.; ABB Ltd;
Schneider Electric SE; Volvo Group; Scania AB; Ericsson AB; Nokia Oyj; Infineon Technologies AG;
STMicroelectronics N.V.; NXP Semiconductors N.V.; Texas Instruments Incorporated; Analog Devices,
Inc.; Keysight Technologies, Inc.; Rohde & Schwarz GmbH & Co. KG; Tektronix, Inc.; Fluke
Corporation; Zeiss Group; Leica Microsystems GmbH; Olympus Corporation; Nikon Corporation; Canon
Inc.; Fraunhofer IAF; Max Planck Institute for Solid State Research; Karlsruhe Institute of
Technology; University of Cambridge; Massachusetts Institute of Technology; ETH Zurich; Tata
Consultancy Services Limited; Infosys Limited; Wipro Limited; Reliance Industries Limited; Larsen &
Toubro Limited; Hyundai Motor Company; LG Electronics Inc.; SK Hynix Inc.; Foxconn Technology
Group; Acer Incorporated; ASUSTeK Computer Inc.; MediaTek Inc.; Taiwan Semiconductor Manufacturing
Company Limited; United Microelectronics Corporation; Petrobras; Vale S.A.; Embraer S.A.; Grupo
Bimbo; Cemex S.A.B. de C.V.; Bombardier Inc.; Magna International Inc.; Shopify Inc.; Maersk Line;
Hapag-Lloyd AG; Kuehne + Nagel International AG; DHL Global Forwarding; DB Schenker; Expeditors
International of Washington; C.H. Robinson Worldwide; Nippon Express Co., Ltd.; Sumitomo
Corporation; Mitsui & Co., Ltd.; Itochu Corporation; Marubeni Corporation; Daimler Truck AG;
Continental AG; ZF Friedrichshafen AG; Schaeffler AG; Trumpf GmbH + Co. KG; DMG Mori
Aktiengesellschaft; Heidelberger Druckmaschinen AG; Kuka AG; Festo SE & Co. KG; Sick AG;
Endress+Hauser Group; Hamamatsu Photonics K.K.; Yokogawa Electric Corporation; Omron Corporation;
Keyence Corporation; Fanuc Corporation; Yaskawa Electric Corporation; Atlas Copco AB; Sandvik AB;
SKF AB; Alfa Laval AB; Husqvarna AB; Electrolux AB; Orkla ASA; Equinor ASA; Kongsberg Gruppen ASA;
Nordic Semiconductor ASA; Vestas Wind Systems A/S; Novo Nordisk A/S; Carlsberg A/S; Lego A/S;
Danfoss A/S; Grundfos Holding A/S; Heineken N.V.; ASML Holding N.V.; Shell plc; BP p.l.c.; Rio
Tinto plc; Anglo American plc; Glencore plc; Vodafone Group Plc; BT Group plc; Tesco PLC; Barclays
PLC; HSBC Holdings plc; Deutsche Bank AG; Commerzbank AG; Allianz SE; Munich Re; Zurich Insurance
Group; UBS Group AG; Credit Suisse Group AG; Julius Baer Group; Swiss Re AG; Roche Holding AG;
Novartis AG; Lonza Group AG; Sika AG; Holcim Ltd; Geberit AG; Schindler Holding AG; Kone Oyj;
Wartsila Oyj; Fortum Oyj; Stora Enso Oyj; UPM-Kymmene Oyj; Neste Oyj; Pacific Rim Logistics Ltd;
Northern Lights Software Inc.; Blue Harbor Consulting LLC; Greenfield Agricultural Supplies Ltd;
Silver Creek Dental Clinic; Riverside Community Hospital; Lakeside Veterinary Practice; Summit Peak
Outdoor Gear Inc.; Oakwood Furniture Makers Ltd; Bright Horizons Family Solutions; Evergreen
Landscaping Services; Harbor View Seafood Restaurant; Cornerstone Accounting Partners; Maple Leaf
Bakery; Sunrise Solar Installers GmbH; Alpine Precision Tools AG; Baltic Amber Crafts OU; Danube
River Cruises Kft.; Andes Mining Consultants S.A.; Sahara Date Exporters SARL; Mekong Rice Traders
Co., Ltd.; Kalahari Safari Tours (Pty) Ltd; Fjord Salmon Farms AS; Tundra Cold Chain Logistics OOO
"""

FIRST_NAMES = words_of(
    """
    James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen Hans Ursula Klaus Sabine Pierre
    Marie Jean Sophie Giuseppe Giulia Marco Francesca Carlos Lucia Javier Carmen Wei Li Hiroshi
    Yuki Kenji Sakura Rajesh Priya Anil Sunita Olga Sergei Natalia Dmitri Ingrid Lars Astrid
    Erik Fatima Omar Aisha Youssef Leila
    """
)
SURNAMES = words_of(
    """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Thomas Moore
    Martin Jackson White Harris Clark Lewis Walker Hall Young King Wright Scott Mueller Schmidt
    Schneider Fischer Weber Meyer Wagner Becker Rossi Russo Ferrari Esposito Bianchi Dubois
    Laurent Bernard Moreau Lefebvre Fernandez Lopez Gonzalez Perez Sanchez Tanaka Suzuki
    Takahashi Watanabe Sato Chen Wang Zhang Liu Yang Sharma Patel Singh Kumar Gupta Ivanova
    Smirnova Kuznetsova Popova Nielsen Hansen Jensen Andersson Johansson Karlsson Haddad Mansour
    Nasser Khoury Saleh
    """
)


@attrs.frozen
class Case:
    """One query of the benchmark: its text, what it varies, and the entry it should find."""

    query: str
    kind: str
    expected: str | None


def words(text: str) -> list[str]:
    """Upper-case words without punctuation: the generator's own, matcher-independent view."""
    return re.findall(r"[A-Z0-9]+", re.sub(r"[.']", "", text.upper()))


def natural_order(name: str) -> str:
    """`LAST, First Middle` as `First Middle LAST`."""
    last, _, first = name.partition(",")
    return f"{first.strip()} {last.strip()}".strip()


def typo(text: str, rng: random.Random) -> str | None:
    """One random edit (substitution, deletion, insertion, transposition) in a 4+ letter word."""
    spans = [m.span() for m in re.finditer(r"[A-Za-z]{4,}", text)]
    if not spans:
        return None
    start, end = rng.choice(spans)
    pos = rng.randrange(start + 1, end - 1)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    letter = letter.upper() if text[pos].isupper() else letter
    action = rng.choice(("substitute", "delete", "insert", "transpose"))
    if action == "substitute":
        choices = [c for c in "aeiourstnlmkd" if c != text[pos].lower()]
        new = rng.choice(choices)
        return text[:pos] + (new.upper() if text[pos].isupper() else new) + text[pos + 1 :]
    if action == "delete":
        return text[:pos] + text[pos + 1 :]
    if action == "insert":
        return text[:pos] + letter + text[pos:]
    return text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]


def punctuation(text: str, rng: random.Random) -> str:
    """Punctuation dropped, or turned into spaces."""
    replacement = rng.choice(("", " "))
    return re.sub(r"\s+", " ", re.sub(r"[.,'\-()/&]", replacement, text)).strip()


def legal_change(text: str, rng: random.Random) -> str | None:
    """One legal form rewritten, abbreviated, spelled out or dropped."""
    options = [(p, r) for p, r in LEGAL_REWRITES if re.search(p, text)]
    if not options:
        return None
    pattern, replacements = rng.choice(options)
    changed = re.sub(pattern, rng.choice(replacements), text, count=1)
    changed = re.sub(r"\s+", " ", changed).strip(" ,")
    return changed if words(changed) else None


def positives(entries: list[ListEntry], rng: random.Random, count: int) -> list[Case]:
    """Variants of the names of `count` sampled persons and organisations."""
    pool = [e for e in entries if e.kind in ("person", "entity")]
    cases: list[Case] = []
    for entry in rng.sample(pool, min(count, len(pool))):
        name = entry.name
        person = entry.kind == "person"
        cased = name.title() if rng.random() < 0.5 else name.lower()
        cases.append(Case(cased, "case", entry.entry_id))
        cases.append(Case(punctuation(name, rng), "punctuation", entry.entry_id))
        if person and "," in name:
            cases.append(Case(natural_order(name).title(), "reordered", entry.entry_id))
        if not person:
            changed = legal_change(name, rng)
            if changed:
                cases.append(Case(changed, "legal_form", entry.entry_id))
        base = natural_order(name) if person and rng.random() < 0.5 else name
        typoed = typo(base, rng)
        if typoed:
            cases.append(Case(typoed, "typo", entry.entry_id))
        strong = [a.name for a in entry.aliases if not a.weak]
        if strong:
            cases.append(Case(rng.choice(strong), "alias", entry.entry_id))
    return cases


def negatives(entries: list[ListEntry], rng: random.Random, count: int) -> list[Case]:
    """Plausible unlisted names: recombined listed words, common companies and persons."""
    persons = [e for e in entries if e.kind == "person" and "," in e.name]
    orgs = [e for e in entries if e.kind == "entity" and len(words(e.name)) >= 2]
    listed = [frozenset(w for w in words(n) if w not in LEGAL_WORDS)
              for e in entries for n in (e.name, *(a.name for a in e.aliases))]  # fmt: skip
    by_word: dict[str, list[int]] = {}
    for number, word_set in enumerate(listed):
        for word in word_set:
            by_word.setdefault(word, []).append(number)

    counts = Counter(w for word_set in listed for w in word_set)

    def rare(part: list[str]) -> bool:
        return any(len(w) >= 4 and counts[w] <= 20 for w in part if w not in LEGAL_WORDS)

    def unlisted(text: str) -> bool:
        mine = frozenset(w for w in words(text) if w not in LEGAL_WORDS)
        if not mine:
            return False
        for word in mine:
            for number in by_word.get(word, ()):
                other = listed[number]
                if mine <= other or (len(other) >= 2 and other <= mine):
                    return False
        return True

    cases: list[Case] = []
    while len(cases) < count // 3:
        a, b = rng.sample(persons, 2)
        first, last = a.name.partition(",")[2].strip(), b.name.partition(",")[0].strip()
        text = f"{first} {last}".title()
        if rare(words(first)) and rare(words(last)) and unlisted(text):
            cases.append(Case(text, "recombined_person", None))
    while len(cases) < 2 * (count // 3):
        a, b = rng.sample(orgs, 2)
        wa, wb = words(a.name), words(b.name)
        head, tail = wa[: max(1, len(wa) // 2)], wb[len(wb) // 2 :]
        text = " ".join(head + tail)
        if rare(head) and rare(tail) and unlisted(text):
            cases.append(Case(text, "recombined_org", None))
    companies = [c.strip() for c in COMMON_COMPANIES.replace("\n", " ").split(";") if c.strip()]
    cases += [Case(c, "common_company", None) for c in companies if unlisted(c)]
    while len(cases) < count:
        text = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        if unlisted(text):
            cases.append(Case(text, "common_person", None))
    return cases


def evaluate(screener: Screener, cases: list[Case], threshold: float) -> dict[str, Counter[str]]:
    """Per kind of case: found / missed / wrong for positives, clean / false for negatives."""
    tally: dict[str, Counter[str]] = {}
    for case in cases:
        result = screener.screen(case.query, threshold=threshold)
        matched = {h.entry_id for h in result.hits if h.match}
        counter = tally.setdefault(case.kind, Counter())
        if case.expected is not None:
            if case.expected in matched:
                counter["found"] += 1
            elif matched:
                counter["wrong"] += 1
            else:
                counter["missed"] += 1
        else:
            counter["false" if matched else "clean"] += 1
    return tally


def summary(tally: dict[str, Counter[str]]) -> tuple[float, float, int, int, int, int]:
    """Recall, precision, true positives, positives, false positives, negatives."""
    found = sum(c["found"] for c in tally.values())
    wrong = sum(c["wrong"] for c in tally.values())
    positives_total = sum(c["found"] + c["missed"] + c["wrong"] for c in tally.values())
    false = sum(c["false"] for c in tally.values())
    negatives_total = sum(c["false"] + c["clean"] for c in tally.values())
    recall = found / positives_total if positives_total else 0.0
    flagged = found + false + wrong
    precision = found / flagged if flagged else 0.0
    return recall, precision, found, positives_total, false + wrong, negatives_total


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1500, help="listed names to vary")
    parser.add_argument("--negatives", type=int, default=3000, help="unlisted names")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--sweep", action="store_true", help="also report other thresholds")
    parser.add_argument("--show", type=int, default=0, help="print this many failures")
    args = parser.parse_args(argv)
    paths = [DATA / name for name in FILES]
    if not all(p.exists() for p in paths):
        print(f"skipped: OFAC snapshot not found in {DATA}", file=sys.stderr)
        return 0
    entries = list(read_list("ofac-sdn", paths).entries)
    screener = Screener.from_entries(entries, dataset="ofac-sdn", fmt="ofac-sdn")
    rng = random.Random(args.seed)
    cases = positives(entries, rng, args.entries) + negatives(entries, rng, args.negatives)
    start = time.perf_counter()
    tally = evaluate(screener, cases, screener.threshold)
    elapsed = time.perf_counter() - start
    recall, precision, found, total, false, negative_total = summary(tally)
    print(f"OFAC SDN 2021-07: {len(entries)} entries; seed {args.seed}; {screener.algorithm}")
    print(
        f"threshold {screener.threshold}: recall {recall:.4f} ({found}/{total}), "
        f"precision {precision:.4f} ({false} false matches; {negative_total} negatives)"
    )
    for kind in sorted(tally):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(tally[kind].items()))
        print(f"  {kind:18} {counts}")
    print(f"{len(cases)} queries in {elapsed:.1f} s")
    if args.sweep:
        for threshold in (0.75, 0.8, 0.85, 0.9, 0.95):
            r, p, f, t, fp, _ = summary(evaluate(screener, cases, threshold))
            print(
                f"  threshold {threshold:.2f}: recall {r:.4f} ({f}/{t}) "
                f"precision {p:.4f} ({fp} false)"
            )
    if args.show:
        shown = 0
        for case in cases:
            result = screener.screen(case.query)
            matched = [h for h in result.hits if h.match]
            ok = case.expected in {h.entry_id for h in matched} if case.expected else not matched
            if not ok and shown < args.show:
                shown += 1
                top = result.hits[0] if result.hits else None
                best = f"{top.entry_id} {top.matched_name!r} {top.score}" if top else "no hit"
                print(f"  {case.kind}: {case.query!r} expected {case.expected}: {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
