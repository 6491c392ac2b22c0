"""How many of the enterprises expected to file stand behind an edition, and when that is
too few to publish.

The first returns of a new year arrive months before most of them: with 2 of 3,000
filed for 1404, a "Top-100" of 1404 would rank two firms. An edition's coverage is the
share of the national enterprises expected to file for its year (registered and founded
by then, or with no founding year: :func:`rasad.monitor.filing.filing_coverage`, the
definition every default period is chosen by) whose return is in. Below
``settings.RASAD_EDITION_MIN_COVERAGE`` an edition is *thin*: computing it needs an
explicit override (``allow_thin``; the form's checkbox, the CLI's ``--allow-thin``) and
publishing it is refused, with a message in both languages that names the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.conf import settings

from rasad.errors import RasadInputError
from rasad.iran.text import format_number, to_persian_digits
from rasad.monitor.filing import filing_coverage
from rasad.platform import datasets
from rasad.platform.returns.models import Period, Return


def minimum() -> float:
    """The smallest coverage an edition may be published with (settings)."""
    return float(settings.RASAD_EDITION_MIN_COVERAGE)


def percent(share: float, persian: bool = False, decimals: int | None = None) -> str:
    """A share as a percentage to read: 97.4%, 50%, 0.07% (two decimals below 1%)."""
    value = 100 * share
    if decimals is None:
        decimals = 2 if 0 < value < 1 else 1
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if persian:
        text = to_persian_digits(text).translate(str.maketrans(",.", "٬٫"))
    return text + ("٪" if persian else "%")


def count(n: int, persian: bool = False) -> str:
    return format_number(n, persian_digits=persian)


def year_text(year: int, persian: bool = False) -> str:
    return to_persian_digits(str(year)) if persian else str(year)


@dataclass(frozen=True)
class FilingCoverage:
    """The returns filed for ``year`` against the enterprises expected to file, and the
    coverage an edition needs (``needed``)."""

    year: int
    expected: int
    filed: int
    share: float
    needed: float

    @property
    def thin(self) -> bool:
        return self.share < self.needed

    def figures(self, language: str = "en") -> str:
        """ "1404: 2 of 3,000 enterprises expected have filed (0.07%); an edition needs 50%." """
        persian = language.startswith("fa")
        year, filed, expected = (
            year_text(self.year, persian),
            count(self.filed, persian),
            count(self.expected, persian),
        )
        share, needed = self.share_text(persian), percent(self.needed, persian)
        if persian:
            return (
                f"{year}: {filed} از {expected} بنگاهی که باید اظهارنامه می‌دادند اظهارنامه "
                f"داده‌اند ({share})؛ "
                f"ویرایش رتبه‌بندی دست‌کم {needed} پوشش می‌خواهد."
            )
        return (
            f"{year}: {filed} of {expected} enterprises expected have filed ({share}); "
            f"an edition needs {needed}."
        )

    def share_text(self, persian: bool = False) -> str:
        """The share as a percentage, with decimals enough that a thin one never reads as
        the share needed (49.96% is not "50%")."""
        text = percent(self.share, persian)
        decimals = 2
        while self.thin and text == percent(self.needed, persian) and decimals < 6:
            text, decimals = percent(self.share, persian, decimals), decimals + 1
        return text

    def short(self, language: str = "en") -> str:
        """ "2 of 3,000 (0.07%)" """
        persian = language.startswith("fa")
        joiner = " از " if persian else " of "
        filed, expected = count(self.filed, persian), count(self.expected, persian)
        return f"{filed}{joiner}{expected} ({self.share_text(persian)})"


class ThinEdition(RasadInputError):
    """An edition refused because too few of the enterprises expected have filed."""

    def __init__(self, coverage: FilingCoverage, en: str, fa: str):
        self.coverage = coverage
        super().__init__(
            f"{coverage.figures('en')} {en}",
            f"{coverage.figures('fa')} {fa}",
            field="allow_thin",
            value=coverage.share,
        )


def period_coverage(period: Period, needed: float | None = None) -> FilingCoverage:
    """The filing coverage of a yearly ``period`` now: the national enterprises whose
    return of the period has a version, against those expected to file
    (:func:`~rasad.monitor.filing.filing_coverage`)."""
    national = datasets.enterprises(None)
    enterprises = pd.DataFrame(
        list(national.values_list("national_id", "founding_year")),
        columns=["national_id", "founding_year"],
    )
    filers = Return.objects.filter(
        period=period, current_version__isnull=False, enterprise__in=national
    ).values_list("enterprise__national_id", flat=True)
    returns = pd.DataFrame({"national_id": list(filers)})
    returns["year"] = period.year
    needed = minimum() if needed is None else needed
    rows = filing_coverage(enterprises, returns)
    if not len(rows):  # nobody filed: the year has no row
        raise RasadInputError(
            f"No returns for {period.code}: there is nothing to rank.",
            f"برای {period.code} اظهارنامه‌ای نیست؛ چیزی برای رتبه‌بندی نیست.",
            field="period",
            value=period.code,
        )
    row = rows.iloc[0]
    return FilingCoverage(
        period.year, int(row["expected"]), int(row["filed"]), float(row["coverage"]), needed
    )


def refuse_thin_compute(coverage: FilingCoverage, allow_thin: bool) -> None:
    """Computing a thin edition needs ``allow_thin``."""
    if coverage.thin and not allow_thin:
        raise ThinEdition(
            coverage,
            "To compute it anyway, allow a thin edition explicitly (it cannot be published).",
            "برای محاسبهٔ آن به هر حال، ویرایش کم‌پوشش را صریحاً مجاز کنید (چنین ویرایشی منتشر "
            "نمی‌شود).",
        )


def stored_coverage(edition) -> FilingCoverage | None:
    """The coverage ``edition`` recorded when it was computed (None before it recorded one),
    against the coverage needed now."""
    if edition.filing_coverage is None:
        return None
    return FilingCoverage(
        edition.period.year,
        edition.expected_count,
        edition.filed_count,
        edition.filing_coverage,
        minimum(),
    )


def refuse_thin_publish(edition) -> None:
    """A thin edition is never published; nor one that recorded no coverage."""
    coverage = stored_coverage(edition)
    if coverage is None:
        raise RasadInputError(
            "The edition was computed before its filing coverage was recorded; compute it again "
            "before publishing.",
            "این ویرایش پیش از ثبت پوشش اظهارنامه‌ها محاسبه شده است؛ پیش از انتشار آن را دوباره "
            "محاسبه کنید.",
            field="edition",
            value=edition.pk,
        )
    if coverage.thin:
        raise ThinEdition(
            coverage, "A thin edition cannot be published.", "ویرایش کم‌پوشش منتشر نمی‌شود."
        )
