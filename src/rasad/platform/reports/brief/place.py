"""The place a policy brief is of: the country, a province, an industrial estate or a
designated cluster, named by a key such as ``province:23``; and which of the national
returns' enterprises are that place's."""

from __future__ import annotations

from dataclasses import dataclass

from rasad.platform.language import persian
from rasad.platform.monitoring import compute
from rasad.platform.registry.models import Cluster, IndustrialEstate, Province

KINDS = ("national", "province", "estate", "cluster")

# the title of each kind of brief, (Persian, English), ``{name}`` the place's; the period
# is said on a line of its own (poppler reads a year and punctuation at the end of a
# Persian line back out of place)
TITLES = {
    "national": (
        "گزارش سیاستی ملی نیازهای بنگاه‌های کوچک و متوسط",
        "National policy brief on the needs of SMEs",
    ),
    "province": ("گزارش سیاستی استان {name}", "Policy brief of {name} province"),
    "estate": ("گزارش سیاستی {name}", "Policy brief of {name}"),
    "cluster": ("گزارش سیاستی {name}", "Policy brief of {name}"),
}


@dataclass(frozen=True)
class Place:
    kind: str  # one of KINDS
    code: str  # "" for the national brief
    name_fa: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_fa if persian() else self.name_en

    @property
    def title(self) -> str:
        """The brief's title in the active language."""
        fa, en = TITLES[self.kind]
        return (fa if persian() else en).format(name=self.name)


def place(key: str) -> Place | None:
    """The place ``key`` names, or None."""
    kind, _sep, code = key.partition(":")
    if kind == "national" and not code:
        return Place("national", "", "ایران", "Iran")
    if kind == "province" and code.isdecimal() and str(int(code)) == code:
        row = Province.objects.filter(code=int(code)).values("name_fa", "name_en").first()
    elif kind == "estate" and code:
        row = IndustrialEstate.objects.filter(code=code).values("name_fa", "name_en").first()
    elif kind == "cluster" and code:
        row = Cluster.objects.filter(code=code).values("name_fa", "name_en").first()
    else:
        return None
    return Place(kind, code, row["name_fa"], row["name_en"]) if row else None


def period_of(people: compute.Population) -> int | None:
    """The period the monitoring pages show by default, None when nothing was filed."""
    return people.default.year if people.periods else None


def units(where: Place, people: compute.Population) -> set[str] | None:
    """The national IDs of the place's enterprises (None: all of them)."""
    firms = people.enterprises
    if where.kind == "province":
        return set(firms.loc[firms["province_code"] == int(where.code), "national_id"])
    if where.kind == "estate":
        return set(firms.loc[firms["estate_code"] == where.code, "national_id"])
    if where.kind == "cluster":
        members = people.members
        return set(members.loc[members["cluster_code"] == where.code, "national_id"])
    return None
