"""What the API takes and gives for returns and the filing periods: a return's versions,
a return submitted, and each year's filing coverage with the period the pages show."""

from __future__ import annotations

import datetime

from ninja import Field, Schema
from pydantic import StrictBool, StrictFloat, StrictStr

from rasad.platform.api.common import NO_NUL_PATTERN
from rasad.platform.api.schemas import PeriodOut, ProblemOut


class VersionOut(Schema):
    number: int
    source: str = Field(description="form, file, api or demo.")
    created_at: datetime.datetime
    created_by: str | None = None
    source_file: str | None = None
    note: str
    values: dict[str, float] = Field(
        description="Figures by indicator code; money in million rials."
    )


class ReturnOut(Schema):
    period: PeriodOut
    current_version: VersionOut | None = None
    versions: list[VersionOut] = Field(
        description="Every version, newest first; none is ever overwritten."
    )


class ReturnIn(Schema):
    # strict: a JSON true or false is not a figure (lax pydantic would read true as 1)
    values: dict[str, StrictFloat | StrictStr | None] = Field(
        description="The whole return: figures by indicator code (money in million rials). "
        "Numbers, or text as "
        "people type it (Persian digits and separators accepted). An indicator left out is not "
        "reported.",
        examples=[{"employees": 42, "sales": "۱۲٬۵۰۰", "exports": 1500.5}],
    )
    note: str = Field("", max_length=500, pattern=NO_NUL_PATTERN)
    confirm_implausible: StrictBool = Field(
        False,
        description="A figure outside the catalogue's plausible bounds (10^30 employees, say) is "
        "stored only "
        "when this is true: a person checked it. Otherwise the return is refused (422, code "
        "implausible_figures) with each such figure as a problem.",
    )


class SubmitOut(Schema):
    national_id: str
    period: str
    version: int = Field(description="The version now current.")
    changed: bool = Field(
        description="False when these figures were already on record (no new version)."
    )
    warnings: list[ProblemOut]


# --- periods ------------------------------------------------------------------------------


class PeriodCoverageOut(Schema):
    year: int
    expected: int = Field(
        description="Enterprises expected to file: registered and founded by then."
    )
    filed: int = Field(description="Enterprises that filed a yearly return for the year.")
    coverage: float = Field(description="filed / expected.")
    deadline: datetime.date | None = None


class DefaultPeriodOut(Schema):
    year: int | None = None
    rule: str = Field(
        description="coverage: enough returns; deadline: the deadline has passed with enough "
        "returns; best: no period qualified and the best covered one is shown; "
        "none: no returns yet."
    )
    reason_fa: str
    reason_en: str


class PeriodsOut(Schema):
    dataset: str = Field(description="national, or the code of a research panel.")
    default: DefaultPeriodOut
    periods: list[PeriodCoverageOut]
