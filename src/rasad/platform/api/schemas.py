"""What the API sends and accepts. Names travel in both languages (``*_fa``, ``*_en``)."""

from __future__ import annotations

import datetime

from ninja import Field, Schema

# --- errors -----------------------------------------------------------------------------


class ProblemOut(Schema):
    field: str | None = Field(None, description="The field (indicator code, parameter) at fault.")
    message_en: str
    message_fa: str
    code: str | None = None
    severity: str = "error"


class ErrorOut(Schema):
    detail: str = Field(
        description="The message in the request's language (Persian unless English was chosen)."
    )
    code: str = Field(
        description="Stable, for programs: not_found, forbidden, invalid_token, invalid_return…"
    )
    message_en: str
    message_fa: str
    problems: list[ProblemOut] | None = None


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers a route documents, each with the bilingual error body: every route
    may refuse an unknown query parameter (400), an invalid API token (401), invalid
    parameters (422) and any token from an address that sent too many wrong ones (429);
    ``statuses`` are the others it may give (403, 404, 409)."""
    return dict.fromkeys(sorted({400, 401, 422, 429, *statuses}), ErrorOut)


# --- shared pieces ----------------------------------------------------------------------


class PeriodOut(Schema):
    code: str = Field(description="1403, or 1403-Q2 for a quarter.")
    year: int
    quarter: int | None = None


class ProvinceOut(Schema):
    code: int = Field(description="Statistical Centre of Iran code.")
    iso: str
    name_fa: str
    name_en: str


class SectorOut(Schema):
    code: str = Field(description="ISIC Rev.4 code.")
    title_fa: str
    title_en: str


class EstateOut(Schema):
    code: str
    name_fa: str
    name_en: str


class NodeOut(Schema):
    code: str
    name_fa: str
    name_en: str
    weight: float
    children: list[str]


# --- catalogue --------------------------------------------------------------------------


class IndicatorOut(Schema):
    code: str
    name_fa: str
    name_en: str
    unit: str
    kind: str
    min_value: float | None = None
    max_value: float | None = None
    direction: int = Field(description="1: higher is better; -1: lower is better; 0: neutral.")
    description_fa: str
    description_en: str


class MethodologyOut(Schema):
    id: int
    name_fa: str
    name_en: str
    version: str
    sha256: str
    created_at: datetime.datetime


class MethodologyIndicatorOut(Schema):
    code: str
    name_fa: str
    name_en: str
    direction: int
    unit: str
    source: str
    denominator: str | None = None
    weight: float


class MethodologyDetailOut(MethodologyOut):
    text: str = Field(
        description="The methodology file (YAML) exactly as stored; sha256 is its hash."
    )
    indicators: list[MethodologyIndicatorOut]
    nodes: list[NodeOut] = Field(
        description="The aggregation tree: the index, its pillars and their children."
    )


# --- editions ---------------------------------------------------------------------------


class CoverageOut(Schema):
    """What stands behind a rank: sent with every rank."""

    coverage: float | None = Field(
        None,
        description="Share (0–1) of the methodology's indicators the enterprise reported, before "
        "any "
        "imputation. Null for an edition computed before coverage was recorded (never estimated).",
    )
    reported: int | None = Field(
        None, description="How many of the methodology's indicators it reported; null as coverage."
    )
    indicators: int = Field(description="How many indicators the edition's methodology has.")
    missing: list[str] | None = Field(
        None,
        description="Codes of the indicators it left blank, in the methodology's order ([] for "
        "none); what the "
        "methodology did with them is the edition's blank_rule_en/blank_rule_fa. Null as coverage.",
    )


class EditionOut(Schema):
    id: int
    name_fa: str
    name_en: str
    status: str = Field(
        description="published, or draft (seen by analysts and administrators only)."
    )
    period: PeriodOut
    methodology: MethodologyOut
    methodology_sha256: str
    data_sha256: str
    computed_at: datetime.datetime | None = None
    published_at: datetime.datetime | None = None
    top_k: int = Field(
        description="p_top is the share of Monte Carlo runs ranking an enterprise within this many."
    )
    runs: int | None = Field(
        None, description="Monte Carlo runs of the uncertainty analysis; null without one."
    )
    seed: int | None = None
    crossing_top: int | None = None
    has_intervals: bool
    expected_count: int | None = Field(
        None,
        description="National enterprises expected to file for the edition's year (registered and "
        "founded by "
        "then, or with no founding year), when it was computed; null before this was recorded.",
    )
    filed_count: int | None = Field(
        None, description="Of those, the enterprises whose return was in."
    )
    filing_coverage: float | None = Field(None, description="filed_count / expected_count.")
    eligible_count: int | None = Field(
        None, description="Enterprises that passed the methodology's eligibility."
    )
    ranked_count: int | None = Field(None, description="Enterprises ranked.")
    thin: bool | None = Field(
        None,
        description="The filing coverage is below the share an edition needs "
        "(RASAD_EDITION_MIN_COVERAGE): "
        "a thin edition, computed by explicit request, which cannot be published.",
    )
    superseded: bool = Field(
        description="A newer edition of the same year has been published since this one."
    )


class EditionLinkOut(Schema):
    id: int
    name_fa: str
    name_en: str
    published_at: datetime.datetime | None = None


class EditionDetailOut(EditionOut):
    supersedes: EditionLinkOut | None = Field(
        None,
        description="The edition of the same year published last before this one, which this one "
        "replaces.",
    )
    superseded_by: EditionLinkOut | None = Field(
        None,
        description="The edition of the same year published next, which replaces this one on the "
        "public pages.",
    )
    coverage_message_en: str | None = Field(
        None,
        description="The filing coverage in words, e.g. '1404: 2 of 3,000 enterprises expected "
        "have filed "
        "(0.07%); an edition needs 50%.'",
    )
    coverage_message_fa: str | None = None
    results_count: int
    ranked_count: int
    pillars: list[NodeOut] = Field(description="Names of the node_scores keys of the results.")
    indicators: int = Field(description="How many indicators the edition's methodology has.")
    blank_rule_en: str = Field(
        description="What the methodology does with an indicator an enterprise left blank."
    )
    blank_rule_fa: str


class ResultOut(CoverageOut):
    rank: int | None = Field(
        None, description="Null for an enterprise the methodology did not rank (ineligible)."
    )
    rank_q05: float | None = None
    rank_median: float | None = None
    rank_q95: float | None = None
    rank_mean: float | None = None
    p_top: float | None = None
    score: float | None = None
    score_q05: float | None = None
    score_median: float | None = None
    score_q95: float | None = None
    composite: float | None = Field(
        None,
        description="The index before the methodology's rescale step (its score is this "
        "re-expressed within "
        "the reference group, and equal scores are ranked by it); null without a rescale step, "
        "or for an edition computed before it was recorded.",
    )
    node_scores: dict[str, float | None] = Field(
        description="Pillar and sub-index scores by node code."
    )
    size_class: str = Field(description="The size band the enterprise was ranked in.")
    national_id: str
    name_fa: str
    name_en: str
    province: ProvinceOut
    estate: EstateOut | None = None
    sector: SectorOut = Field(description="The ISIC division of the enterprise.")


class LeagueRowOut(CoverageOut):
    band: str | None = Field(
        None, description="The value of `by` (size band, ISIC division, province code)."
    )
    band_name_fa: str | None = None
    band_name_en: str | None = None
    indicator: str
    indicator_name_fa: str
    indicator_name_en: str
    direction: int
    rank: int
    national_id: str
    name_fa: str
    name_en: str
    value: float | None = Field(
        None,
        description="The ranked figure: null unless you may see this enterprise's confidential "
        "figures.",
    )


# --- enterprises and returns --------------------------------------------------------------


class EnterpriseOut(Schema):
    national_id: str
    name_fa: str
    name_en: str
    province: ProvinceOut
    sector: SectorOut = Field(description="The ISIC division of the enterprise.")
    estate: EstateOut | None = None
    confidential: bool = Field(
        description="Whether you may see this enterprise's confidential figures and returns."
    )


class ClusterOut(Schema):
    code: str
    name_fa: str
    name_en: str


class EnterpriseDetailsOut(Schema):
    isic_class: SectorOut
    founding_year: int | None = None
    registered_at: datetime.datetime
    clusters: list[ClusterOut]
    periods_returned: list[str] = Field(description="The periods with a submitted return.")


class EnterpriseRankingOut(CoverageOut):
    edition_id: int
    edition_name_fa: str
    edition_name_en: str
    status: str
    period: PeriodOut
    rank: int | None = None
    score: float | None = None
    rank_q05: float | None = None
    rank_q95: float | None = None
    p_top: float | None = None
    size_class: str


class EnterpriseDetailOut(EnterpriseOut):
    rankings: list[EnterpriseRankingOut]
    details: EnterpriseDetailsOut | None = Field(
        None,
        description="Registry details: only for enterprises whose confidential figures you may "
        "see.",
    )
