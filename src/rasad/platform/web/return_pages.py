"""What the return pages show, read from the database and laid out for their templates:
the list of a user's enterprises × the offered periods, and the return form of one
enterprise and period. Nothing here writes; the views write through
:mod:`rasad.platform.returns.drafts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.registry.models import Enterprise, name_or_id_matches
from rasad.platform.returns.forms import ReturnForm, catalogue_indicators, typed
from rasad.platform.returns.models import Indicator, Period, Return, ReturnDraft

PERIODS_SHOWN = 5
ENTERPRISES_PER_PAGE = 50


def _sort_key(period: JalaliPeriod) -> tuple[int, int]:
    return period.year, period.quarter or 0


def offered_periods() -> list[JalaliPeriod]:
    """The periods a return may be entered for: the latest periods on record, plus the
    last complete Jalali fiscal year (so a new year can be reported before anyone
    created its period)."""
    periods = {
        JalaliPeriod(year, quarter)
        for year, quarter in Period.objects.values_list("year", "quarter")
    }
    periods.add(JalaliPeriod(JalaliPeriod.containing(timezone.localdate()).year - 1))
    return sorted(periods, key=_sort_key)[-PERIODS_SHOWN:]


def stored_period(period: JalaliPeriod) -> Period | None:
    return Period.objects.filter(year=period.year, quarter=period.quarter).first()


def form_url(enterprise: Enterprise, period: JalaliPeriod | Period) -> str:
    code = period.code
    return reverse("return_form", kwargs={"national_id": enterprise.national_id, "period": code})


def list_context(user, query: str, page_number, language: str) -> dict:
    """The list page: the user's enterprises matching ``query`` (page ``page_number``),
    each period's column with how many returns of the user's scope are in, and a cell
    per enterprise and period: submitted (its version), draft or missing."""
    enterprises = (
        Enterprise.objects.confidential_to(user)
        .select_related("province", "estate")
        .order_by("name_fa", "pk")
    )
    match = name_or_id_matches(query)
    if match is not None:
        enterprises = enterprises.filter(match)
    page = Paginator(enterprises, ENTERPRISES_PER_PAGE).get_page(page_number)
    periods = offered_periods()
    stored = {p.jalali: p for p in Period.objects.all()}
    stored_ids = [stored[p].pk for p in periods if p in stored]
    firms = list(page.object_list)
    return {
        "rows": _rows(firms, periods, stored, stored_ids),
        "columns": _columns(user, periods, stored, stored_ids, language),
        "page": page,
        "query": query,
        "scope_total": Enterprise.objects.confidential_to(user).count(),
    }


def _columns(user, periods, stored: dict, stored_ids: list[int], language: str) -> list[dict]:
    per_period = dict(
        Return.objects.visible_to(user)
        .filter(period__in=stored_ids, current_version__isnull=False)
        .values("period")
        .annotate(n=Count("id"))
        .values_list("period", "n")
    )
    return [
        {
            "period": p,
            "label": p.label(language),
            "submitted": per_period.get(stored[p].pk, 0) if p in stored else 0,
        }
        for p in periods
    ]


def _rows(firms: list[Enterprise], periods, stored: dict, stored_ids: list[int]) -> list[dict]:
    submitted = {
        (e, p): n
        for e, p, n in Return.objects.filter(
            enterprise__in=firms,
            period__in=stored_ids,
            current_version__isnull=False,
        ).values_list("enterprise_id", "period_id", "current_version__number")
    }
    drafts = set(
        ReturnDraft.objects.filter(enterprise__in=firms, period__in=stored_ids).values_list(
            "enterprise_id", "period_id"
        )
    )
    rows = []
    for firm in firms:
        cells = []
        for p in periods:
            key = (firm.pk, stored[p].pk) if p in stored else None
            version = submitted.get(key)
            cells.append(
                {
                    "url": form_url(firm, p),
                    "version": version,
                    "draft": key in drafts,
                    "status": "submitted" if version else "draft" if key in drafts else "missing",
                }
            )
        rows.append({"enterprise": firm, "cells": cells})
    return rows


@dataclass(frozen=True)
class FormPage:
    """One enterprise's return form for one period: what is on record and in draft
    (``stored`` is None while nobody created the period, so there is neither)."""

    enterprise: Enterprise
    period: JalaliPeriod
    stored: Period | None
    indicators: list[Indicator]
    record: Return | None
    draft: ReturnDraft | None
    language: str

    @classmethod
    def load(
        cls, enterprise: Enterprise, period: JalaliPeriod, stored: Period | None, language: str
    ) -> FormPage:
        record = (
            Return.objects.select_related(
                "current_version__created_by", "current_version__source_file"
            )
            .filter(enterprise=enterprise, period=stored)
            .first()
            if stored
            else None
        )
        draft = (
            ReturnDraft.objects.select_related("updated_by")
            .filter(enterprise=enterprise, period=stored)
            .first()
            if stored
            else None
        )
        return cls(enterprise, period, stored, catalogue_indicators(), record, draft, language)

    @property
    def url(self) -> str:
        return form_url(self.enterprise, self.period)

    @property
    def period_or_code(self) -> Period | str:
        """The period to write to: the stored one, or the code to create it by."""
        return self.stored or self.period.code

    def blank_form(self) -> ReturnForm:
        """The form as it opens: the draft's figures as typed, else those on record."""
        if self.draft is not None:
            initial = dict(self.draft.values)
        else:
            initial = self._current_values()
        return ReturnForm(initial=initial, indicators=self.indicators)

    def _current_values(self) -> dict[str, str]:
        record = self.record
        if record is None or record.current_version is None:
            return {}
        kinds = {i.code: i.kind for i in self.indicators}
        return {
            code: typed(value, kinds.get(code, ""), persian=self.language == "fa")
            for code, value in record.current_version.values().items()
        }

    def context(self, form: ReturnForm, *, notice: str | None, refused: bool) -> dict:
        versions = (
            list(
                self.record.versions.select_related("created_by", "source_file").order_by(
                    "-number"
                )[:10]
            )
            if self.record
            else []
        )
        return {
            "enterprise": self.enterprise,
            "period": self.period,
            "period_label": self.period.label(self.language),
            "form": form,
            "rows": list(form.rows()),
            "record": self.record,
            "draft": self.draft,
            "versions": versions,
            "notice": notice,
            "refused": refused,
        }
