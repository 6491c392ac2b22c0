"""What stands behind a rank, in words: how many of the methodology's indicators the
enterprise reported, which it left blank (by name), and what the methodology did with a
blank. Read from a stored result (``EditionResult.coverage`` and ``.missing``) and the
edition's parsed methodology; the pages, the review and the API all say it this way.

Coverage and the codes left blank are not confidential figures (no value is in them), so
they go wherever the rank goes. A result stored before they were recorded has neither:
it is shown as unknown, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from rasad.index.methodology import Methodology
from rasad.platform.language import persian
from rasad.platform.web.templatetags.rasad_format import num

# the reference groups a methodology may compare within, as a blank's sentence names them
GROUP_NOUNS = {
    "sector": gettext_lazy("sector"),
    "size_class": gettext_lazy("size band"),
    "province": gettext_lazy("province"),
    "estate": gettext_lazy("industrial estate"),
}


def _group(name: str) -> str:
    return str(GROUP_NOUNS.get(name, name))


def treatment(method: Methodology) -> str:
    """What ``method`` does with an indicator an enterprise left blank, as one sentence
    in the reader's language. Imputation comes first in the engine, so a methodology that
    imputes never reaches its normalisation's rule for blanks."""
    impute, normalise = method.impute, method.normalise
    if impute.method in ("group_median", "group_mean") and impute.by:
        if impute.method == "group_median":
            return _("A blank is filled with the median of its %(group)s.") % {
                "group": _group(impute.by)
            }
        return _("A blank is filled with the mean of its %(group)s.") % {"group": _group(impute.by)}
    if impute.method == "median":
        return _("A blank is filled with the median of all enterprises.")
    if impute.method == "mean":
        return _("A blank is filled with the mean of all enterprises.")
    if normalise.missing == "lowest":
        if normalise.within:
            return _("A blank is scored below every figure reported in its %(group)s.") % {
                "group": _group(normalise.within)
            }
        return _("A blank is scored below every figure reported.")
    return _("A blank is left out: its pillar is the average of the figures reported.")


def advice(method: Methodology, blanks: int) -> str:
    """What reporting the ``blanks`` figures left blank would do, for the enterprise's own
    scorecard."""
    if method.impute.method != "none":
        return ngettext(
            "Reporting it puts the real figure in place of the filled-in one, "
            "which may raise or lower the score.",
            "Reporting them puts the real figures in place of the filled-in ones, "
            "which may raise or lower the score.",
            blanks,
        )
    if method.normalise.missing == "lowest":
        return ngettext(
            "Reporting it can only help: a reported figure, however weak, "
            "scores at least as high as a blank.",
            "Reporting them can only help: a reported figure, however weak, "
            "scores at least as high as a blank.",
            blanks,
        )
    return ngettext(
        "Reporting it adds it to its pillar's average, which may raise or lower the score.",
        "Reporting them adds them to their pillars' averages, which may raise or lower the score.",
        blanks,
    )


@dataclass(frozen=True)
class Coverage:
    reported: int
    indicators: int
    missing: tuple[str, ...]  # codes, in the methodology's order
    names: tuple[str, ...]  # the same in the reader's language
    treatment: str

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def text(self) -> str:
        """ "17 of 18" in the reader's digits."""
        return _("%(reported)s of %(indicators)s") % {
            "reported": num(self.reported),
            "indicators": num(self.indicators),
        }

    @property
    def long_text(self) -> str:
        """ "17 of 18 indicators", where no column heading says what is counted."""
        return _("%(reported)s of %(indicators)s indicators") % {
            "reported": num(self.reported),
            "indicators": num(self.indicators),
        }

    @property
    def blanks(self) -> list[tuple[str, str]]:
        """(code, name) of each indicator left blank."""
        return list(zip(self.missing, self.names, strict=True))

    @property
    def names_text(self) -> str:
        return ("، " if persian() else ", ").join(self.names)


def counts(missing: list[str] | None, method: Methodology) -> tuple[int | None, int]:
    """(indicators reported, indicators of the methodology); reported is None when the
    result recorded no coverage."""
    total = len(method.indicators)
    return (None if missing is None else total - len(missing)), total


def describe(
    coverage: float | None,
    missing: list[str] | None,
    method: Methodology,
    *,
    said: str | None = None,
) -> Coverage | None:
    """A stored result's coverage (``coverage`` and ``missing`` as the result holds them)
    for a reader; None when the result recorded none. ``said``: :func:`treatment` of
    ``method``, when the caller has it already."""
    if coverage is None or missing is None:
        return None
    language = "fa" if persian() else "en"
    blank = set(missing)
    indicators = [i for i in method.indicators if i.code in blank]
    reported, total = counts(missing, method)
    return Coverage(
        reported=reported,
        indicators=total,
        missing=tuple(i.code for i in indicators),
        names=tuple(i.name.get(language) for i in indicators),
        treatment=said if said is not None else treatment(method),
    )


def describe_rows(
    rows, method: Methodology, *, coverage: str = "coverage", missing: str = "missing"
) -> None:
    """Set ``row.coverage_info`` on each of ``rows`` (results, or enterprises annotated
    with their result's fields under the names ``coverage`` and ``missing``)."""
    said = treatment(method)
    for row in rows:
        row.coverage_info = describe(
            getattr(row, coverage, None), getattr(row, missing, None), method, said=said
        )


def by_enterprise(edition, enterprise_ids) -> dict[int, Coverage | None]:
    """The coverage in words of these enterprises' results in ``edition`` (one query), by
    enterprise id, for lists that show them by something other than their result row."""
    method = edition.methodology.parsed()
    said = treatment(method)
    rows = edition.results.filter(enterprise_id__in=enterprise_ids).values_list(
        "enterprise_id", "coverage", "missing"
    )
    return {pk: describe(share, missing, method, said=said) for pk, share, missing in rows}
