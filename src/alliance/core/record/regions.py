"""The region of each country of the Alliance, for the members' grid: the UN's M49 regions
(Africa, Americas, Asia, Europe, Oceania), so the grouping is a published one and not ours.

Pure data: a country the table does not know is grouped under "Other" rather than refused, so a
new member shows up before anyone updates this file (a test lists the seeded ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")
OTHER = "Other"

_BY_REGION = {
    "Africa": "GH NG",
    "Americas": "CA CR MX US",
    "Asia": "AM CY GE IL JP KH KR PH TH TR VN",  # M49 puts Armenia, Cyprus, Georgia, Israel, Turkey in Western Asia
    "Europe": "AL AT BA BE BG CH CZ DE DK EE ES FI FR GB GR HR HU IE IT LT LU LV MD ME MT NL NO PL PT RO RS SE "
    "SI SK UA XK",
    "Oceania": "AU NZ",
}
REGION_OF = {code: region for region, codes in _BY_REGION.items() for code in codes.split()}

T = TypeVar("T")


def region_of(code: str) -> str:
    return REGION_OF.get(code.upper(), OTHER)


def by_region(items: Iterable[T], code_of: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """`items` grouped by region, in the order of `REGIONS` (then "Other"), empty regions left out."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(region_of(code_of(item)), []).append(item)
    return [(region, groups[region]) for region in (*REGIONS, OTHER) if region in groups]
