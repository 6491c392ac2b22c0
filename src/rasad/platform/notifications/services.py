"""Telling users: :func:`notify` writes a notification per user in scope (inbox) and
emails those who chose email, in their language; :func:`send_digests` sends estate
managers one email about their estates' new alerts and returns due.

Both run in a worker (``rasad worker``, the tasks of :mod:`.tasks`) or in ``rasad
notify`` (cron), never in a request: a page only queues the task.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rasad.platform.accounts.models import Role, User
from rasad.platform.notifications.models import (
    Digest,
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
)

#: role → kind → (in the inbox, by email) when the user has not chosen. A role without
#: a kind never hears of it: alerts, returns due and corrections concern one firm's
#: confidential figures, so only its owners and its estate's managers; an estate
#: manager's alerts and returns due come by email in the digest rather than one by one.
DEFAULTS: dict[str, dict[str, tuple[bool, bool]]] = {
    Role.ENTERPRISE: {
        Kind.ALERT: (True, True),
        Kind.RETURN_DUE: (True, True),
        Kind.CORRECTION: (True, True),
        Kind.EDITION: (True, True),
    },
    Role.ESTATE_MANAGER: {
        Kind.ALERT: (True, False),
        Kind.RETURN_DUE: (True, False),
        Kind.CORRECTION: (True, True),
        Kind.EDITION: (True, True),
    },
    Role.ANALYST: {Kind.EDITION: (True, True)},
    Role.ADMIN: {Kind.EDITION: (True, True)},
    Role.PUBLIC: {Kind.EDITION: (True, False)},
}
DIGEST_KINDS = (Kind.ALERT, Kind.RETURN_DUE)
# how long after the last digest the next one is due: a little less than a day or a
# week, so that a daily cron job a few minutes early still sends it
DIGEST_EVERY = {
    Digest.DAILY: datetime.timedelta(hours=20),
    Digest.WEEKLY: datetime.timedelta(days=6, hours=20),
}
DIGEST_LINES = 50  # lines of each list in a digest; the rest are counted


@dataclass(frozen=True)
class Event:
    """Something to tell: ``key`` names it (one notification per user and key), and
    ``enterprise`` is the firm it is about (None: it concerns everyone, an edition)."""

    kind: str
    key: str
    title_en: str
    title_fa: str
    body_en: str = ""
    body_fa: str = ""
    link: str = ""
    enterprise: object = None


def kinds_for(user) -> list[str]:
    return list(DEFAULTS.get(user.effective_role, {}))


def in_scope(user, enterprise) -> bool:
    """Whether ``user`` may hear of an event about ``enterprise`` (DESIGN §5): an owner
    of its own firm, an estate manager of its estates' firms."""
    if enterprise is None:
        return True
    role = user.effective_role
    if role == Role.ENTERPRISE:
        return user.enterprise_id == enterprise.pk
    if role == Role.ESTATE_MANAGER:
        return enterprise.estate_id in {e.pk for e in user.estates.all()}
    return user.sees_everything


def recipients_of(enterprise):
    """The active users who speak for ``enterprise`` or manage its estate."""
    owners = User.objects.filter(role=Role.ENTERPRISE, enterprise=enterprise)
    managers = (
        User.objects.filter(role=Role.ESTATE_MANAGER, estates=enterprise.estate_id)
        if enterprise.estate_id
        else User.objects.none()
    )
    return (
        (owners | managers)
        .filter(is_active=True, is_superuser=False)
        .distinct()
        .prefetch_related("estates")
    )


def preferences(user) -> dict[str, tuple[bool, bool]]:
    """Kind → (in the inbox, by email) for ``user``: its choices over its role's defaults."""
    chosen = dict(DEFAULTS.get(user.effective_role, {}))
    for kind, in_app, email in NotificationPreference.objects.filter(
        user=user, kind__in=list(chosen)
    ).values_list("kind", "in_app", "email"):
        chosen[kind] = (in_app, email)
    return chosen


def settings_of(user) -> NotificationSettings:
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def mark_read(user, chosen: int | None = None) -> int:
    """Mark read ``user``'s unread notifications in the inbox: the one ``chosen``, or
    all of them; how many were marked."""
    unread = user.notifications.filter(in_app=True, read_at__isnull=True)
    if chosen is not None:
        unread = unread.filter(pk=chosen)
    return unread.update(read_at=timezone.now())


def save_preferences(
    user, choices: dict[str, tuple[bool, bool]], *, language: str, digest: str
) -> None:
    """Store ``user``'s choices: kind → (in the inbox, by email), the language of their
    emails and how often their digest comes."""
    own = settings_of(user)
    with transaction.atomic():
        for kind, (in_app, email) in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"in_app": in_app, "email": email}
            )
        own.language = language
        own.digest = digest
        own.save()


def notify(event: Event, users: Iterable) -> int:
    """Tell ``users`` of ``event``, each as chosen, unless told already or out of scope
    (another role, another firm): returns how many were told now."""
    chosen = [
        u
        for u in users
        if u.is_active and event.kind in kinds_for(u) and in_scope(u, event.enterprise)
    ]
    told = set(
        Notification.objects.filter(key=event.key, user__in=chosen).values_list(
            "user_id", flat=True
        )
    )
    new = [u for u in chosen if u.pk not in told]
    if not new:
        return 0
    stored = dict(
        (user_id, (in_app, email))
        for user_id, in_app, email in NotificationPreference.objects.filter(
            kind=event.kind, user__in=new
        ).values_list("user_id", "in_app", "email")
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=u,
                kind=event.kind,
                key=event.key,
                title_fa=event.title_fa,
                title_en=event.title_en,
                body_fa=event.body_fa,
                body_en=event.body_en,
                link=event.link,
                in_app=stored.get(u.pk, DEFAULTS[u.effective_role][event.kind])[0],
                email=stored.get(u.pk, DEFAULTS[u.effective_role][event.kind])[1],
            )
            for u in new
        ],
        ignore_conflicts=True,  # another scan told them meanwhile
    )
    send_emails(Notification.objects.filter(key=event.key, user__in=new))
    return len(new)


def absolute(path: str) -> str:
    return settings.RASAD_SITE_URL.rstrip("/") + path if path else ""


def _languages(user_ids) -> dict[int, str]:
    return dict(
        NotificationSettings.objects.filter(user__in=user_ids).values_list("user_id", "language")
    )


def _email(template: str, context: dict, to: str, language: str) -> EmailMultiAlternatives:
    """The email of ``template`` (``.txt`` and ``.html``, the first line of the text
    being the subject) in ``language``."""
    with translation.override(language):
        context = {
            **context,
            "preferences_url": absolute(reverse("notifications:preferences")),
            "language": language,
        }
        subject, _, text = render_to_string(f"notifications/{template}.txt", context).partition(
            "\n"
        )
        html = render_to_string(f"notifications/{template}.html", context)
    message = EmailMultiAlternatives(subject.strip(), text.strip() + "\n", to=[to])
    message.attach_alternative(html, "text/html")
    return message


def send_emails(notifications) -> int:
    """Email the notifications of ``notifications`` that ask for it and were not sent:
    each is claimed first (its ``emailed_at`` set), so two senders never send one twice."""
    pending = list(
        notifications.filter(email=True, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
    )
    languages = _languages([n.user_id for n in pending])
    sent = 0
    with get_connection() as connection:
        for n in pending:
            if not Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            ):
                continue
            language = languages.get(n.user_id, "fa")
            message = _email(
                "email", {"notification": n, "url": absolute(n.link)}, n.user.email, language
            )
            try:
                connection.send_messages([message])
            except Exception:
                Notification.objects.filter(pk=n.pk).update(emailed_at=None)  # try again next time
                raise
            sent += 1
    return sent


def send_digests(now: datetime.datetime | None = None) -> int:
    """One email to each estate manager whose digest is due, listing the alerts and
    returns due of their estates not in an earlier digest; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    managers = User.objects.filter(
        role=Role.ESTATE_MANAGER, is_active=True, is_superuser=False
    ).exclude(email="")
    with get_connection() as connection:
        for manager in managers:
            chosen = settings_of(manager)
            if chosen.digest == Digest.NEVER or (
                chosen.last_digest_at and now - chosen.last_digest_at < DIGEST_EVERY[chosen.digest]
            ):
                continue
            with transaction.atomic():
                items = list(
                    Notification.objects.select_for_update().filter(
                        user=manager, kind__in=DIGEST_KINDS, digested_at__isnull=True
                    )
                )
                if not items:
                    continue
                alerts = [n for n in items if n.kind == Kind.ALERT]
                due = [n for n in items if n.kind == Kind.RETURN_DUE]
                context = {
                    "alerts": alerts[:DIGEST_LINES],
                    "more_alerts": len(alerts) - len(alerts[:DIGEST_LINES]),
                    "alert_count": len(alerts),
                    "due": due[:DIGEST_LINES],
                    "more_due": len(due) - len(due[:DIGEST_LINES]),
                    "due_count": len(due),
                    "estates": list(manager.estates.order_by("code")),
                    "inbox_url": absolute(reverse("notifications:inbox")),
                }
                connection.send_messages(
                    [_email("digest", context, manager.email, chosen.language)]
                )
                Notification.objects.filter(pk__in=[n.pk for n in items]).update(digested_at=now)
                chosen.last_digest_at = now
                chosen.save()
            sent += 1
    return sent
