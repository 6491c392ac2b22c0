"""The events that notify (issue 18, item 3) and who hears of each:

- a new alert on a firm: its owners and its estate's managers (``rasad notify``
  scans the monitoring run of the default period; an alert is new the first time its
  key is seen, and one someone closed or acknowledged is not announced);
- a return due: the firms expected to file for a period whose deadline is within
  ``days`` and that have not filed (``rasad notify``), to the same users;
- a correction accepted: a new version of an existing return, when it is recorded
  (:mod:`rasad.platform.returns.services` queues :func:`.tasks.announce_corrections`);
- a new edition published: every user who chose it, with their firm's rank for the
  owners of ranked firms (:func:`rasad.platform.rankings.services.publish_edition`
  queues :func:`.tasks.announce_edition`).

Texts are written in both languages here, with Persian digits and Jalali dates for
Persian readers, so that they do not depend on the translation catalogue.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse

from rasad.iran.periods import format_jalali_date
from rasad.iran.text import to_persian_digits
from rasad.platform import datasets
from rasad.platform.accounts.models import Role, User
from rasad.platform.monitoring import compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.notifications.models import Kind, Notification
from rasad.platform.notifications.services import Event, notify, recipients_of
from rasad.platform.returns.models import Period, Return, ReturnVersion

SEVERITY = {  # the core's severities: English, Persian
    "critical": ("critical", "بحرانی"),
    "high": ("high", "زیاد"),
    "medium": ("medium", "متوسط"),
    "low": ("low", "کم"),
}


def _fa(value) -> str:
    return to_persian_digits(str(value))


def _heard_of() -> Q:
    """Firms someone would be told about: an owner's, or in a managed estate."""
    return Q(users__role=Role.ENTERPRISE, users__is_active=True) | Q(
        estate__managers__role=Role.ESTATE_MANAGER, estate__managers__is_active=True
    )


def scan_alerts() -> int:
    """Announce the open alerts of the default period's monitoring run that were never
    announced (an alert's key stays the same while it lasts); returns how many users
    were told. A user who joins later hears of the alerts that come after."""
    people = compute.population()
    period = people.default.year
    if period is None:
        return 0
    alerts = compute.run_for(period, people).alerts.for_period(period)
    # the lists below are read whole rather than filtered by key: an IN list of every
    # alert of 100,000 firms is longer than SQLite takes
    skip = set(
        AlertState.objects.exclude(status=AlertState.Status.OPEN).values_list("key", flat=True)
    )
    skip |= {
        key.removeprefix("alert:")
        for key in Notification.objects.filter(kind=Kind.ALERT)
        .values_list("key", flat=True)
        .distinct()
    }
    firms = {e.national_id: e for e in datasets.enterprises(None).filter(_heard_of()).distinct()}
    told = 0
    for alert in alerts.itertuples(index=False):
        firm = firms.get(alert.national_id)
        if firm is None or alert.key in skip:
            continue
        severity_en, severity_fa = SEVERITY[str(alert.severity)]
        event = Event(
            kind=Kind.ALERT,
            key=f"alert:{alert.key}",
            title_en=f"New alert for {firm.name_en or firm.name_fa}: {alert.name_en}",
            title_fa=f"هشدار تازه برای {firm.name_fa}: {alert.name_fa}",
            body_en=(
                f"Severity: {severity_en}. Period {alert.period}"
                + (f", running since {alert.since}." if alert.since != alert.period else ".")
            ),
            body_fa=(
                f"شدت: {severity_fa}. دورهٔ {_fa(alert.period)}"
                + (f"، از {_fa(alert.since)}." if alert.since != alert.period else ".")
            ),
            link=reverse("public:scorecard", args=[firm.national_id]),
            enterprise=firm,
        )
        told += notify(event, recipients_of(firm))
    return told


def scan_due_returns(today: datetime.date, days: int) -> int:
    """Announce, for each period whose deadline falls within ``days`` of ``today``, the
    return of each firm expected to file (founded by then, or founding year unknown)
    that has not filed; returns how many users were told."""
    told = 0
    for period in Period.objects.filter(
        deadline__gte=today, deadline__lte=today + datetime.timedelta(days=days)
    ):
        filed = Return.objects.filter(period=period, current_version__isnull=False)
        firms = (
            datasets.enterprises(None)
            .filter(Q(founding_year__isnull=True) | Q(founding_year__lte=period.year))
            .filter(_heard_of())
            .exclude(pk__in=filed.values("enterprise_id"))
            .distinct()
        )
        left = (period.deadline - today).days
        for firm in firms:
            event = Event(
                kind=Kind.RETURN_DUE,
                key=f"due:{period.pk}:{firm.pk}",
                title_en=f"Return due: {firm.name_en or firm.name_fa}, {period.jalali.label('en')}",
                title_fa=f"مهلت اظهارنامه: {firm.name_fa}، {period.jalali.label('fa')}",
                body_en=(
                    f"The return of {period.jalali.label('en')} is due by "
                    f"{format_jalali_date(period.deadline, 'en')} ({left} days left)."
                ),
                body_fa=(
                    f"مهلت اظهارنامهٔ {period.jalali.label('fa')} تا "
                    f"{format_jalali_date(period.deadline, 'fa')} است ({_fa(left)} روز مانده)."
                ),
                link=reverse("return_form", args=[firm.national_id, period.code]),
                enterprise=firm,
            )
            told += notify(event, recipients_of(firm))
    return told


def announce_corrections(version_ids: list[int]) -> int:
    """Announce the versions of ``version_ids`` that correct an earlier one."""
    told = 0
    for version in ReturnVersion.objects.filter(pk__in=version_ids, number__gt=1).select_related(
        "return_record__enterprise", "return_record__period", "created_by"
    ):
        firm, period = version.return_record.enterprise, version.return_record.period
        by = version.created_by.get_username() if version.created_by else ""
        event = Event(
            kind=Kind.CORRECTION,
            key=f"correction:{version.pk}",
            title_en=f"Correction accepted: {firm.name_en or firm.name_fa}, "
            f"{period.jalali.label('en')}",
            title_fa=f"اصلاحیه پذیرفته شد: {firm.name_fa}، {period.jalali.label('fa')}",
            body_en=(
                f"Version {version.number} of the return of {period.jalali.label('en')} was "
                f"recorded on {format_jalali_date(version.created_at.date(), 'en')}"
                + (f" by {by}." if by else ".")
            ),
            body_fa=(
                f"نسخهٔ {_fa(version.number)} اظهارنامهٔ {period.jalali.label('fa')} در "
                f"{format_jalali_date(version.created_at.date(), 'fa')} ثبت شد"
                + (f" (از سوی {by})." if by else ".")
            ),
            link=reverse("return_form", args=[firm.national_id, period.code]),
            enterprise=firm,
        )
        told += notify(event, recipients_of(firm))
    return told


def announce_edition(edition) -> int:
    """Announce the published ``edition`` to every active user who chose it; the
    owners of its ranked firms are told their rank."""
    key, link = f"edition:{edition.pk}", reverse("public:edition", args=[edition.pk])
    period_en, period_fa = edition.period.jalali.label("en"), edition.period.jalali.label("fa")
    name_en, name_fa = edition.name_en or edition.name_fa, edition.name_fa
    title_en = f"New edition published: {name_en} ({period_en})"
    title_fa = f"ویرایش تازه منتشر شد: {name_fa} ({period_fa})"
    total = edition.results.filter(rank__isnull=False).count()
    told = 0
    ranked = edition.results.filter(rank__isnull=False, enterprise__users__isnull=False)
    for result in ranked.select_related("enterprise").distinct():
        firm = result.enterprise
        event = Event(
            kind=Kind.EDITION,
            key=key,
            title_en=title_en,
            title_fa=title_fa,
            body_en=f"{firm.name_en or firm.name_fa} is ranked {result.rank} of {total}.",
            body_fa=f"رتبهٔ {firm.name_fa}: {_fa(result.rank)} از {_fa(total)}.",
            link=link,
            enterprise=firm,
        )
        told += notify(event, User.objects.filter(role=Role.ENTERPRISE, enterprise=firm))
    everyone = Event(
        kind=Kind.EDITION,
        key=key,
        title_en=title_en,
        title_fa=title_fa,
        body_en=f"The ranking of {period_en} is public.",
        body_fa=f"رتبه‌بندی {period_fa} منتشر شد.",
        link=link,
    )
    return told + notify(everyone, User.objects.filter(is_active=True).prefetch_related("estates"))
