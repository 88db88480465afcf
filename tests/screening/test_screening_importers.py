"""Importers: the real snapshots, small fixtures of every format, and malformed files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dualcontrol.errors import ListError
from dualcontrol.screening import Address, Alias, ListEntry, parse_text, read_list
from dualcontrol.screening.countries import _BY_NAME, country_code
from dualcontrol.screening.importers._common import MAX_PROBLEMS
from dualcontrol.vocab import COUNTRIES

Shared = Callable[[str], Path]


def _problems(error: pytest.ExceptionInfo[ListError]) -> list[str]:
    return [str(p) for p in error.value.problems]


# --- the real snapshots -------------------------------------------------------------------------


def test_ofac_snapshot_imports_every_entry_with_aliases_and_addresses(
    ofac_entries: tuple[ListEntry, ...],
) -> None:
    kinds = [e.kind for e in ofac_entries]
    assert len(ofac_entries) == 8976
    assert (kinds.count("person"), kinds.count("entity")) == (4620, 3673)
    assert (kinds.count("vessel"), kinds.count("aircraft")) == (406, 277)
    strong = sum(1 for e in ofac_entries for a in e.aliases if not a.weak)
    assert strong == 11910
    bank = next(e for e in ofac_entries if e.entry_id == "SDN-306")
    assert bank.name == "BANCO NACIONAL DE CUBA"
    assert Alias("NATIONAL BANK OF CUBA") in bank.aliases
    assert Alias("BNC", "aka", weak=True) in bank.aliases
    assert bank.countries == ("CH", "ES", "JP", "PA")
    assert bank.programs == ("CUBA",)


def test_ofac_remarks_give_dates_of_birth_nationality_and_identifiers(
    ofac_entries: tuple[ListEntry, ...],
) -> None:
    person = next(e for e in ofac_entries if e.entry_id == "SDN-32277")
    assert person.name == "TSERTSEL, Ivan Stanislavavich"
    assert person.dates_of_birth == ("1966-09-08",)
    assert person.countries == ("BY",)
    with_passport = [e for e in ofac_entries for i in e.identifiers if i.kind == "Passport"]
    assert len(with_passport) > 1000


def test_dpl_snapshot_merges_rows_of_one_party_and_maps_countries(shared: Shared) -> None:
    entries = read_list("bis-dpl", [shared("bis-dpl-2022-09.txt")]).entries
    assert len(entries) == 461
    assert all(e.list_code == "DPL" and e.start_date for e in entries)
    naser = [e for e in entries if e.name == "ABDULAH AL NASSER"]
    assert len(naser) == 1
    assert len(naser[0].addresses) == 2
    assert {c for e in entries for c in e.countries} >= {"CN", "US", "AE"}
    assert not any("PRC" in e.countries for e in entries)


def test_csl_sample_keeps_list_codes_and_entity_list_licence_terms(shared: Shared) -> None:
    entries = read_list("csl", [shared("csl-sample-2019-12.csv")]).entries
    codes = {e.list_code for e in entries}
    assert codes == {"SDN", "SSI", "EL", "PLC", "DTC", "DPL", "UVL", "ISN", "CAP"}
    entity_list = [e for e in entries if e.list_code == "EL"]
    assert all(e.license_requirement and e.license_policy for e in entity_list)
    migeotte = [e for e in entity_list if e.name == "Gunther Migeotte"]
    assert len(migeotte) == 4
    assert sum(len(e.addresses) for e in migeotte) == 8
    assert len({e.entry_id for e in entries}) == len(entries)


# --- small fixtures of each format --------------------------------------------------------------

CSL_HEADER = (
    "source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,"
    "end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,"
    "gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,"
    "alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,"
    "source_information_url,ids\n"
)
EL = "Entity List (EL) - Bureau of Industry and Security"


def _csl_row(**fields: str) -> str:
    columns = CSL_HEADER.strip().split(",")
    cells = [fields.get(c, "") for c in columns]
    return ",".join(f'"{c}"' if "," in c else c for c in cells) + "\n"


def test_csl_csv_fixture_is_read_field_by_field() -> None:
    text = CSL_HEADER + _csl_row(
        source=EL,
        type="Entity",
        name="Acme Optics Ltd.",
        addresses="1 Main St, Shenzhen, CN; 2 Side Rd, Hong Kong, HK",
        start_date="2020-01-02",
        license_requirement="For all items subject to the EAR.",
        license_policy="Presumption of denial.",
        alt_names="Acme Photonics; ACME",
        ids="CN, 123456, Registration ID",
    )
    (entry,) = parse_text("csl", text, "el.csv")
    assert entry.list_code == "EL"
    assert entry.entry_id.startswith("EL-")
    assert entry.kind == "entity"
    assert entry.addresses == (
        Address("1 Main St, Shenzhen, CN", "CN"),
        Address("2 Side Rd, Hong Kong, HK", "HK"),
    )
    assert entry.countries == ("CN", "HK")
    assert [a.name for a in entry.aliases] == ["Acme Photonics", "ACME"]
    assert entry.identifiers[0].value == "123456"
    assert entry.license_policy == "Presumption of denial."


def test_csl_tsv_is_recognised_by_its_header() -> None:
    text = (
        CSL_HEADER.replace(",", "\t")
        + "\t".join([EL, "", "Entity", "", "Tab Co"] + [""] * 23)
        + "\n"
    )
    (entry,) = parse_text("csl", text, "el.tsv")
    assert entry.name == "Tab Co"


def test_csl_json_results_are_read_with_address_and_id_objects() -> None:
    data = {
        "results": [
            {
                "source": "Specially Designated Nationals (SDN) - Treasury Department",
                "entity_number": "42",
                "type": "Individual",
                "name": "DOE, John",
                "alt_names": ["DOE, Johnny"],
                "addresses": [{"address": "5 Rue X", "city": "Paris", "country": "FR"}],
                "dates_of_birth": ["1970-05-06"],
                "nationalities": ["IR"],
                "ids": [{"type": "Passport", "number": "P123", "country": "IR"}],
                "programs": ["IRAN"],
            }
        ]
    }
    (entry,) = parse_text("csl", json.dumps(data), "csl.json")
    assert (entry.entry_id, entry.kind) == ("SDN-42", "person")
    assert entry.addresses == (Address("5 Rue X, Paris, FR", "FR"),)
    assert entry.countries == ("FR", "IR")
    assert entry.dates_of_birth == ("1970-05-06",)
    assert entry.identifiers[0].kind == "Passport"


def _write_ofac(tmp_path: Path, sdn: str, alt: str, add: str) -> list[Path]:
    paths = []
    for name, text in (("sdn.csv", sdn), ("alt.csv", alt), ("add.csv", add)):
        path = tmp_path / name
        path.write_bytes(text.encode("latin-1"))
        paths.append(path)
    return paths


SDN = (
    '10,"CAFÉ ROJO S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'ROJO\'."\r\n'
    '11,"PEREZ, Juan",individual,"SDNTK] [SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 03 Feb 1960; nationality Colombia; Cedula No. 12345 (Colombia)."\r\n'
    "\x1a"
)
ALT = '10,1,"aka","RED CAFE",-0- \r\n11,2,"fka","PEREZ, Juanito",-0- \r\n'
ADD = '10,5,"Calle 1","Havana","Cuba",-0- \r\n'


def test_ofac_fixture_reads_three_files_latin1_and_remarks(tmp_path: Path) -> None:
    cafe, perez = read_list("ofac-sdn", _write_ofac(tmp_path, SDN, ALT, ADD)).entries
    assert cafe.name == "CAFÉ ROJO S.A."
    assert cafe.aliases == (Alias("RED CAFE"), Alias("ROJO", "aka", weak=True))
    assert cafe.countries == ("CU",)
    assert perez.kind == "person"
    assert perez.programs == ("SDNTK", "SDGT")
    assert perez.aliases == (Alias("PEREZ, Juanito", "fka"),)
    assert perez.dates_of_birth == ("1960-02-03",)
    assert perez.countries == ("CO",)
    assert (perez.identifiers[0].kind, perez.identifiers[0].value) == ("Cedula No.", "12345")


def test_bis_dpl_fixture_reads_dates_and_infers_us_from_state_and_zip() -> None:
    columns = [
        "Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
        "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation",
    ]  # fmt: skip
    header = "\t".join(f'"{c}"' for c in columns)
    row = '"JOHN ROE"\t"1 Elm St"\t"DALLAS"\t"TX"\t""\t"75201"\t"01/02/2020"\t"01/02/2030"\t"Y"'
    text = f'{header}\n{row}\t"2020-01-05"\t"ADDED"\t"85 F.R. 1 1/5/2020"\n'
    (entry,) = parse_text("bis-dpl", text, "dpl.txt")
    assert (entry.start_date, entry.end_date) == ("2020-01-02", "2030-01-02")
    assert entry.countries == ("US",)
    assert entry.federal_register_notice == "85 F.R. 1 1/5/2020"


FTM = "\n".join(
    json.dumps(e)
    for e in (
        {
            "id": "p1",
            "schema": "Person",
            "caption": "Ivan Petrov",
            "datasets": ["us_ofac_sdn"],
            "target": True,
            "properties": {
                "name": ["Ivan Petrov"],
                "alias": ["Ivan Petroff"],
                "weakAlias": ["Vanya"],
                "previousName": ["Ivan Petrovsky"],
                "birthDate": ["1970-01-02"],
                "nationality": ["ru"],
                "addressEntity": ["a1"],
                "passportNumber": ["7700123"],
            },
        },
        {"id": "a1", "schema": "Address", "properties": {"full": ["Moscow"], "country": ["ru"]}},
        {
            "id": "s1",
            "schema": "Sanction",
            "properties": {"entity": ["p1"], "program": ["RUSSIA-EO14024"], "startDate": ["2022"]},
        },
        {"id": "c1", "schema": "Company", "target": False, "properties": {"name": ["Context"]}},
        {
            "id": "c2",
            "schema": "Company",
            "properties": {
                "name": ["Nested Co"],
                "addressEntity": [
                    {"id": "a2", "schema": "Address", "properties": {"full": ["Riga"]}}
                ],
            },
        },
    )
)


def test_ftm_fixture_reads_names_sanctions_addresses_and_skips_non_targets() -> None:
    company, person = parse_text("ftm", FTM, "ftm.json")
    assert (company.entry_id, person.entry_id) == ("c2", "p1")
    assert person.list_code == "SDN"
    assert person.aliases == (
        Alias("Ivan Petroff"),
        Alias("Ivan Petrovsky", "fka"),
        Alias("Vanya", "aka", weak=True),
    )
    assert person.addresses == (Address("Moscow", "RU"),)
    assert person.countries == ("RU",)
    assert person.dates_of_birth == ("1970-01-02",)
    assert person.programs == ("RUSSIA-EO14024",)
    assert person.start_date == "2022"
    assert person.identifiers[0].value == "7700123"
    assert company.name == "Nested Co"
    assert company.addresses == (Address("Riga"),)


# --- malformed files: every problem at once, each located -------------------------------------


def test_malformed_csl_reports_every_bad_row_with_its_line() -> None:
    text = (
        CSL_HEADER
        + _csl_row(source=EL, name="Good Co")
        + _csl_row(source=EL, name="")
        + _csl_row(source=EL, name="Bad Date Co", start_date="02/01/2020")
        + "too,few,fields\n"
        + _csl_row(source=EL, name="Alien", type="Spaceship")
    )
    with pytest.raises(ListError) as error:
        parse_text("csl", text, "bad.csv")
    assert _problems(error) == [
        "bad.csv:3: empty `name`",
        "bad.csv:4: `start_date` `02/01/2020` is not a date (YYYY-MM-DD)",
        "bad.csv:5: expected 28 fields, found 3",
        "bad.csv:6: unknown `type` `Spaceship`: expected Entity, Individual, Vessel",
    ]


def test_csl_without_its_header_is_refused_at_line_one() -> None:
    with pytest.raises(ListError) as error:
        parse_text("csl", "name,city\nAcme,Paris\n", "x.csv")
    assert _problems(error) == ["x.csv:1: header lacks column `source`: not a CSL file"]


def test_malformed_csl_json_reports_paths() -> None:
    data = {"results": [{"source": EL, "name": "Ok"}, {"source": EL}, "nonsense"]}
    with pytest.raises(ListError) as error:
        parse_text("csl", json.dumps(data), "csl.json")
    assert _problems(error) == [
        "csl.json: $.results[1]: empty `name`",
        "csl.json: $.results[2]: expected an object",
    ]
    with pytest.raises(ListError) as broken:
        parse_text("csl", '{"results": [\n  {"name": }\n]}', "broken.json")
    assert _problems(broken)[0].startswith("broken.json:2:")


def test_malformed_ofac_files_report_problems_of_all_three(tmp_path: Path) -> None:
    duplicate = '10,"DUPLICATE",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    sdn = SDN.replace("11,", "x1,", 1).replace("\x1a", duplicate + "\x1a")
    alt = ALT + '99,3,"aka","ORPHAN",-0- \n10,4,"weird","X",-0- \n'
    add = ADD + "10,6,short\n"
    with pytest.raises(ListError) as error:
        read_list("ofac-sdn", _write_ofac(tmp_path, sdn, alt, add))
    sdn_path, alt_path, add_path = (str(tmp_path / n) for n in ("sdn.csv", "alt.csv", "add.csv"))
    assert _problems(error) == [
        f"{add_path}:2: add.csv: expected 6 fields, found 3",
        f"{sdn_path}:2: `ent_num` `x1` is not a number",
        f"{sdn_path}:3: duplicate `ent_num` 10 (first on line 1)",
        f"{alt_path}:2: alias of unknown `ent_num` 11",
        f"{alt_path}:3: alias of unknown `ent_num` 99",
        f"{alt_path}:4: alias type `weird`: expected aka, fka or nka",
    ]


def test_ofac_files_in_the_wrong_order_get_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ListError) as error:
        read_list("ofac-sdn", _write_ofac(tmp_path, ALT, SDN, ADD))
    assert "this looks like `alt.csv` (give sdn.csv alt.csv add.csv in order)" in str(error.value)


def test_malformed_dpl_reports_bad_dates_and_empty_names() -> None:
    header = (
        "Name\tStreet_Address\tCity\tState\tCountry\tPostal_Code\tEffective_Date\t"
        "Expiration_Date\tStandard_Order\tLast_Update\tAction\tFR_Citation\n"
    )
    rows = "\tA\tB\tTX\tUS\t1\t01/02/2020\t\tY\t\t\t\nX\tA\tB\tTX\tUS\t1\t2020-01-02\t\tY\t\t\t\n"
    with pytest.raises(ListError) as error:
        parse_text("bis-dpl", header + rows, "dpl.txt")
    assert _problems(error) == [
        "dpl.txt:2: empty `Name`",
        "dpl.txt:3: `Effective_Date` `2020-01-02` is not a date (MM/DD/YYYY)",
    ]


def test_malformed_ftm_reports_lines() -> None:
    text = '{"id": "x", "schema": "Person", "properties": {"name": ["A"]}}\n{oops\n'
    text += '{"schema": "Person", "properties": {}}\n{"id": "y", "schema": "Company"}\n'
    with pytest.raises(ListError) as error:
        parse_text("ftm", text, "e.json")
    assert _problems(error) == [
        "e.json:2:2: invalid JSON: Expecting property name enclosed in double quotes",
        "e.json:3: $: entity without a string `id`",
        "e.json:4: entity `y` has no `name`",
    ]


def test_problems_are_capped_and_counted() -> None:
    rows = "".join(_csl_row(source=EL, name="") for _ in range(MAX_PROBLEMS + 5))
    with pytest.raises(ListError) as error:
        parse_text("csl", CSL_HEADER + rows, "many.csv")
    problems = error.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message == "and 5 more problems not listed"


def test_unreadable_and_wrongly_counted_files_are_list_errors(tmp_path: Path) -> None:
    with pytest.raises(ListError, match="cannot read file"):
        read_list("csl", [tmp_path / "missing.csv"])
    with pytest.raises(ListError, match=r"takes sdn\.csv alt\.csv add\.csv"):
        read_list("ofac-sdn", [tmp_path / "sdn.csv"])
    with pytest.raises(ListError, match="unknown list format `xml`"):
        read_list("xml", [tmp_path / "a"])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(CSL_HEADER.encode() + b"\xff\xfe,broken\n")
    with pytest.raises(ListError, match=r"bad.csv:2: bytes not valid utf-8"):
        read_list("csl", [bad])


def test_list_country_names_map_to_codes_of_the_case_vocabulary() -> None:
    assert set(_BY_NAME.values()) <= set(COUNTRIES)
    assert country_code("Iran") == "IR" and country_code("U.A.E.") == "AE"
    assert country_code("Atlantis") is None
