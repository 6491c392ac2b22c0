"""Which period to show when none is named: the latest one enough enterprises filed for.

The first returns of a new year arrive months before most of them: with 2 of 3,000
filed for 1404, "the latest period" would fill the alert inbox with 3,000 missing
returns, compute a Top-100 of two firms and show a scorecard whose monitoring is of a
year its key figures are not. Every default period (pages, commands, the API) is
therefore chosen by filing coverage: the share of the enterprises expected to file (those
registered and founded by then) that did. A period qualifies when its coverage reaches
``min_coverage``, or when its filing deadline has passed and its coverage reaches
``min_coverage_after_deadline`` (late filers are many in Iran, and once the deadline
is past the returns that are in are what there will be for a while). The latest
qualifying period is chosen, and the choice says which and why, and which later
periods were passed over.
"""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran.text import format_number, to_persian_digits

COVERAGE_COLUMNS = ["year", "expected", "filed", "coverage", "deadline"]


def filing_coverage(
    enterprises: pd.DataFrame,
    returns: pd.DataFrame,
    deadlines: Mapping[int, datetime.date] | None = None,
) -> pd.DataFrame:
    """Per year with returns: enterprises expected to file (every enterprise of
    ``enterprises`` founded by then, or whose founding year is blank), enterprises that
    filed (among those), their share, and the year's filing deadline (from
    ``deadlines``; None when not known)."""
    years = sorted({int(y) for y in returns["year"].dropna().unique()}) if len(returns) else []
    founded = (
        pd.to_numeric(enterprises["founding_year"], errors="coerce").to_numpy(dtype=float)
        if "founding_year" in enterprises.columns
        else np.full(len(enterprises), np.nan)
    )
    known = set(enterprises["national_id"])
    rows = []
    for year in years:
        exists = np.isnan(founded) | (founded <= year)
        expected_ids = set(enterprises["national_id"].to_numpy()[exists])
        filed_ids = set(returns.loc[returns["year"] == year, "national_id"]) & known
        filed = len(filed_ids)
        expected = len(
            expected_ids | filed_ids
        )  # a firm that filed was expected, whatever its founding year says
        rows.append(
            (
                year,
                expected,
                filed,
                filed / expected if expected else 0.0,
                (deadlines or {}).get(year),
            )
        )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS).astype(
        {"year": "int64", "expected": "int64", "filed": "int64"}
    )


def _share(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= 1:
        raise RasadInputError(
            f"{name} must be a share between 0 and 1, not {value!r}.",
            f"{name} باید سهمی بین ۰ و ۱ باشد، نه «{value}».",
            field=name,
            value=value,
        )
    return float(value)


def _percent(share: float, persian: bool) -> str:
    text = f"{100 * share:.0f}" if share >= 0.01 or share == 0 else f"{100 * share:.2f}"
    return to_persian_digits(text).replace(".", "٫") + "٪" if persian else text + "%"


def _count(n: int, persian: bool) -> str:
    return format_number(n, persian_digits=persian)


@dataclass(frozen=True)
class PeriodChoice:
    """The period chosen and why: its coverage row, the rule that admitted it
    (``coverage``, ``deadline``, or ``best`` when no period qualified and the best
    covered one was taken), and the later periods passed over (their coverage rows)."""

    year: int | None
    rule: str
    row: dict = field(default_factory=dict)
    passed_over: tuple[dict, ...] = ()
    min_coverage: float = 0.5

    def explain(self, language: str = "en") -> str:
        """One or two sentences for a page, a terminal or an API answer."""
        persian = language.startswith("fa")
        if self.year is None:
            return "هنوز اظهارنامه‌ای نیست." if persian else "No returns have been filed yet."
        year = to_persian_digits(str(self.year)) if persian else str(self.year)
        filed, expected = _count(self.row["filed"], persian), _count(self.row["expected"], persian)
        share = _percent(self.row["coverage"], persian)
        if persian:
            why = {
                "coverage": f"{filed} از {expected} بنگاه ({share}) اظهارنامه داده‌اند",
                "deadline": f"مهلت گذشته و {filed} از {expected} بنگاه ({share}) اظهارنامه داده‌اند",
                "best": f"هیچ دوره‌ای به پوشش {_percent(self.min_coverage, True)} "
                f"نرسیده و این دوره با {filed} از {expected} بنگاه ({share}) بیشترین پوشش را دارد",
            }[self.rule]
            text = f"دورهٔ {year} نشان داده می‌شود: {why}."
        else:
            why = {
                "coverage": f"{filed} of {expected} enterprises ({share}) have filed",
                "deadline": f"its deadline has passed and {filed} of {expected} enterprises "
                f"({share}) filed",
                "best": f"no period reaches {_percent(self.min_coverage, False)} coverage, "
                f"and this one has the most: {filed} of {expected} enterprises ({share})",
            }[self.rule]
            text = f"{year} is shown: {why}."
        for later in self.passed_over:
            y = to_persian_digits(str(later["year"])) if persian else str(later["year"])
            f_, e_ = _count(later["filed"], persian), _count(later["expected"], persian)
            s_ = _percent(later["coverage"], persian)
            text += (
                f" دورهٔ {y} هنوز کم‌پوشش است: {f_} از {e_} ({s_})."
                if persian
                else f" {y} is not yet: {f_} of {e_} ({s_}) have filed."
            )
        return text


@dataclass(frozen=True)
class PeriodPolicy:
    """When a period has enough returns to be shown by default (see the module)."""

    min_coverage: float = 0.5
    min_coverage_after_deadline: float = 0.25

    def __post_init__(self):
        _share(self.min_coverage, "min_coverage")
        _share(self.min_coverage_after_deadline, "min_coverage_after_deadline")

    def qualifies(self, row: Mapping, today: datetime.date) -> str | None:
        """The rule that admits the period of coverage ``row``, or None."""
        if row["expected"] and row["coverage"] >= self.min_coverage:
            return "coverage"
        deadline = row.get("deadline")
        if (
            deadline is not None
            and not pd.isna(deadline)
            and deadline < today
            and row["coverage"] >= self.min_coverage_after_deadline
            and row["filed"]
        ):
            return "deadline"
        return None

    def choose(self, coverage: pd.DataFrame, today: datetime.date | None = None) -> PeriodChoice:
        """The latest qualifying period of ``coverage`` (from :func:`filing_coverage`)."""
        today = today or datetime.date.today()
        rows = coverage.sort_values("year").to_dict("records")
        if not rows:
            return PeriodChoice(None, "none", min_coverage=self.min_coverage)
        for position in range(len(rows) - 1, -1, -1):
            rule = self.qualifies(rows[position], today)
            if rule:
                return PeriodChoice(
                    int(rows[position]["year"]),
                    rule,
                    rows[position],
                    tuple(rows[position + 1 :]),
                    self.min_coverage,
                )
        best = max(range(len(rows)), key=lambda i: (rows[i]["coverage"], rows[i]["year"]))
        return PeriodChoice(
            int(rows[best]["year"]), "best", rows[best], tuple(rows[best + 1 :]), self.min_coverage
        )
