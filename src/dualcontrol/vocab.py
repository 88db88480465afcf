"""Closed vocabularies of the case contract: countries, currencies, roles, purposes, red flags.

Each vocabulary is immutable data; the case model validates against it and the JSON Schema
prints it. The red flags follow the 13 "Know Your Customer" red flags of the US Bureau of
Industry and Security (15 CFR Part 732, Supp. No. 3).
"""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

import attrs

__all__ = [
    "COUNTRIES",
    "CURRENCIES",
    "ECCN_PATTERN",
    "EU_CONTROL_PATTERN",
    "PARTY_KINDS",
    "PARTY_ROLES",
    "PURPOSES",
    "RED_FLAGS",
    "REGIONS",
    "SCREENING_BASES",
    "SCREENING_LISTS",
    "Outcome",
    "RedFlag",
]


class Outcome(enum.Enum):
    """Outcome of a line or a case, ordered from least to most restrictive."""

    NO_LICENSE_REQUIRED = "no_license_required"
    LICENSE_EXCEPTION = "license_exception"
    REVIEW = "review"
    LICENSE_REQUIRED = "license_required"
    PROHIBITED = "prohibited"

    @property
    def rank(self) -> int:
        """Position from least (0) to most (4) restrictive."""
        return _OUTCOME_ORDER.index(self)

    @classmethod
    def most_restrictive(cls, outcomes: tuple[Outcome, ...]) -> Outcome:
        """The most restrictive of `outcomes`; `review` when there are none (fail closed)."""
        if not outcomes:
            return cls.REVIEW
        return max(outcomes, key=lambda o: o.rank)


_OUTCOME_ORDER = tuple(Outcome)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = (
        resources.files("dualcontrol").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    )
    return list(csv.DictReader(text.splitlines()))


COUNTRIES: Mapping[str, str] = MappingProxyType(
    {row["code"]: row["name"] for row in _read_csv("countries.csv")}
)
"""ISO 3166-1 alpha-2 code -> English short name, plus `XK` (Kosovo, user-assigned)."""

CURRENCIES: Mapping[str, int] = MappingProxyType(
    {row["code"]: int(row["minor_units"]) for row in _read_csv("currencies.csv")}
)
"""ISO 4217 currency code -> number of minor-unit digits (USD 2, JPY 0, KWD 3)."""

PARTY_ROLES: tuple[str, ...] = ("end_user", "consignee", "intermediate_consignee", "purchaser")

REGIONS: Mapping[str, str] = MappingProxyType(
    {
        "crimea": "the Crimea region of Ukraine",
        "dnr": "the so-called Donetsk People's Republic region of Ukraine",
        "lnr": "the so-called Luhansk People's Republic region of Ukraine",
    }
)
"""Sub-national destinations some controls single out (15 CFR 746.6)."""

SCREENING_LISTS: Mapping[str, str] = MappingProxyType(
    {
        "entity_list": "BIS Entity List (15 CFR Part 744, Supp. No. 4)",
        "unverified_list": "BIS Unverified List (15 CFR Part 744, Supp. No. 6)",
        "denied_persons": "BIS Denied Persons List (denial orders, 15 CFR 764.3)",
        "military_end_user": "BIS Military End-User List (15 CFR Part 744, Supp. No. 7)",
        "sdn": "OFAC Specially Designated Nationals and Blocked Persons List",
        "other": "another restricted-party list",
    }
)
"""Restricted-party lists a screening hit can come from."""

SCREENING_BASES: tuple[str, ...] = ("listed", "affiliate")
"""How a party relates to a list entry: it is the listed party, or owned by listed parties."""

PARTY_KINDS: tuple[str, ...] = (
    "company",
    "government",
    "military",
    "research",
    "individual",
    "unknown",
)

PURPOSES: Mapping[str, str] = MappingProxyType(
    {
        "civil": "civil use",
        "civil_research": "civil research",
        "commercial": "commercial production or resale",
        "medical": "medical use",
        "humanitarian": "humanitarian aid",
        "military": "military end use",
        "military_intelligence": "military-intelligence end use",
        "nuclear": "nuclear explosive or unsafeguarded nuclear activity",
        "missile": "rockets, missiles or unmanned aerial vehicles for WMD delivery",
        "chemical_biological_weapons": "chemical or biological weapons",
        "surveillance": "surveillance or internal repression",
        "unknown": "end use not known",
    }
)
"""End-use purpose code -> meaning."""


@attrs.frozen
class RedFlag:
    """One "Know Your Customer" red flag: its code, BIS number and meaning."""

    code: str
    number: int
    meaning: str


RED_FLAGS: Mapping[str, RedFlag] = MappingProxyType(
    {
        flag.code: flag
        for flag in (
            RedFlag(
                "similar_to_listed_party",
                1,
                "the customer or its address is similar to a party on a restricted list",
            ),
            RedFlag(
                "reluctant_end_use_info",
                2,
                "the customer is reluctant to give information about the end use",
            ),
            RedFlag(
                "capabilities_not_fit_business",
                3,
                "the product's capabilities do not fit the buyer's line of business",
            ),
            RedFlag(
                "incompatible_with_destination",
                4,
                "the item is incompatible with the technical level of the destination",
            ),
            RedFlag(
                "cash_payment",
                5,
                "the customer pays cash for an expensive item where financing is usual",
            ),
            RedFlag(
                "little_business_background",
                6,
                "the customer has little or no business background",
            ),
            RedFlag(
                "unfamiliar_with_product",
                7,
                "the customer is unfamiliar with the product's performance but wants it",
            ),
            RedFlag(
                "declines_installation_training",
                8,
                "routine installation, training or maintenance is declined",
            ),
            RedFlag(
                "vague_delivery",
                9,
                "delivery dates are vague or the destination is out of the way",
            ),
            RedFlag(
                "forwarder_as_destination",
                10,
                "a freight forwarder is named as the product's final destination",
            ),
            RedFlag(
                "abnormal_route",
                11,
                "the shipping route is abnormal for the product and destination",
            ),
            RedFlag(
                "packaging_inconsistent",
                12,
                "packaging is inconsistent with the shipping method or destination",
            ),
            RedFlag(
                "evasive_reexport",
                13,
                "the buyer is evasive about domestic use, export or reexport",
            ),
        )
    }
)
"""Red-flag code -> `RedFlag`, numbered as in BIS's Know Your Customer guidance."""

_SUBPARAGRAPH = r"(?:\.(?:[a-z]{1,2}|[0-9]{1,2}))"

ECCN_PATTERN = re.compile(rf"EAR99|[0-9][A-EY][0-9]{{3}}{_SUBPARAGRAPH}{{0,6}}")
"""An Export Control Classification Number, optionally to a sub-paragraph, or `EAR99`."""

EU_CONTROL_PATTERN = re.compile(rf"[0-9][A-E][0-9]{{3}}{_SUBPARAGRAPH}{{0,6}}")
"""An entry of Annex I to Regulation (EU) 2021/821, optionally to a sub-paragraph."""
