"""Notifications (issue 18, item 3): for each kind, the email goes through Django's
test outbox to the users in scope who chose it, in their language; the inbox holds
what they chose to see there; a scan run twice tells nobody twice; estate managers
get one digest of their estates.

The small cases (returns due, corrections, digest, pages) use a few firms of their
own; alerts and editions use one demo population with a published edition, written
once for the module and rolled back at its end.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone
from django.utils.module_loading import import_string

from rasad.cli import main
from rasad.iran.periods import format_jalali_date
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.monitoring import compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.notifications import services, triggers
from rasad.platform.notifications.models import (
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Sector
from rasad.platform.returns.models import Period
from rasad.platform.returns.services import record_return, record_returns

OTHER_IDS = ["14007650912", "10320894878"]  # valid, as tests/platform/conftest.py's


def _user(name, role, *, enterprise=None, estates=(), language=None, **prefs):
    user = User.objects.create_user(
        name, email=f"{name}@example.org", password="x", role=role, enterprise=enterprise
    )
    user.estates.set(estates)
    if language:
        NotificationSettings.objects.create(user=user, language=language)
    for kind, (in_app, email) in prefs.items():
        NotificationPreference.objects.create(user=user, kind=kind, in_app=in_app, email=email)
    return user


def _to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def _work_the_queue() -> list[str]:
    """Run the queued tasks as ``rasad worker`` would, here in the test's transaction
    (a worker's own loop closes the connection, which would end the module's data on
    PostgreSQL), and take them off the queue; returns their paths."""
    from django_tasks_db.models import DBTaskResult

    done = []
    for queued in DBTaskResult.objects.order_by("enqueued_at"):
        call = queued.args_kwargs
        import_string(queued.task_path).call(*call["args"], **call["kwargs"])
        done.append(queued.task_path)
        queued.delete()
    return done


def _inbox(user) -> list:
    return list(user.notifications.filter(in_app=True))


# --- a few firms of their own: returns due, corrections, the digest, the pages ----------


@pytest.fixture
def firms(enterprise, estate, yazd, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    other_estate = IndustrialEstate.objects.create(
        code="T02", name_fa="شهرک صنعتی اردکان", name_en="Ardakan", province=yazd
    )
    other = Enterprise.objects.create(
        national_id=OTHER_IDS[0],
        name_fa="کاشی اردکان",
        name_en="Ardakan Tiles",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
        estate=other_estate,
        founding_year=1390,
    )
    return {
        "mine": enterprise,
        "other": other,
        "owner": _user("owner", Role.ENTERPRISE, enterprise=enterprise),
        "owner_en": _user("owner-en", Role.ENTERPRISE, enterprise=enterprise, language="en"),
        "silent": _user(
            "silent",
            Role.ENTERPRISE,
            enterprise=enterprise,
            **{k: (False, False) for k in Kind.values},
        ),
        "other_owner": _user("other-owner", Role.ENTERPRISE, enterprise=other),
        "manager": _user("manager", Role.ESTATE_MANAGER, estates=[estate]),
        "other_manager": _user("other-manager", Role.ESTATE_MANAGER, estates=[other_estate]),
        "analyst": _user("analyst", Role.ANALYST),
        "public": _user("public", Role.PUBLIC),
    }


@pytest.fixture
def due_period(db):
    return Period.objects.create(
        year=1450, quarter=2, deadline=datetime.date.today() + datetime.timedelta(days=3)
    )


def test_a_return_due_is_told_to_the_owners_of_firms_that_have_not_filed(firms, due_period):
    record_return(firms["other"], due_period, {"employees": 12})  # filed: nothing due
    Period.objects.create(  # further than --days away: not yet
        year=1450, quarter=3, deadline=datetime.date.today() + datetime.timedelta(days=30)
    )
    assert (
        triggers.scan_due_returns(datetime.date.today(), 7) == 4
    )  # owner, owner-en, silent, manager
    [fa] = _to(firms["owner"])
    assert "مهلت اظهارنامه" in fa.subject and firms["mine"].name_fa in fa.subject
    # Persian digits, the Jalali deadline
    assert "(۳ روز مانده)" in fa.body and format_jalali_date(due_period.deadline, "fa") in fa.body
    assert "/returns/10380284790/1450-Q2/" in fa.body
    [en] = _to(firms["owner_en"])
    assert en.subject.startswith("Return due: Sample Yazd Textiles") and "3 days left" in en.body
    # chose neither: told nowhere; out of scope or filed: not told; the manager's
    # default is the inbox (the digest brings it by email)
    assert not _to(firms["silent"]) and not _inbox(firms["silent"])
    for name in ("other_owner", "other_manager", "analyst", "public", "manager"):
        assert not _to(firms[name]), name
    assert [n.kind for n in _inbox(firms["manager"])] == [Kind.RETURN_DUE]
    assert not _inbox(firms["other_manager"]) and not _inbox(firms["other_owner"])
    # run again: nobody is told twice
    outbox = len(mail.outbox)
    assert triggers.scan_due_returns(datetime.date.today(), 7) == 0
    assert len(mail.outbox) == outbox and Notification.objects.count() == 4


def test_a_correction_is_told_once_committed_through_the_worker(
    firms, period, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as first:
        record_return(firms["mine"], period, {"employees": 40})
    assert not first  # a first version corrects nothing
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        record_return(firms["mine"], period, {"employees": 41}, user=firms["analyst"])
    assert len(hooks) == 1 and not mail.outbox  # queued, not sent in the request
    assert _work_the_queue() == ["rasad.platform.notifications.tasks.announce_corrections"]
    [fa] = _to(firms["owner"])
    assert fa.subject.startswith("اصلاحیه پذیرفته شد") and "نسخهٔ ۲" in fa.body
    assert "(از سوی analyst)" in fa.body
    assert _to(firms["owner_en"])[0].subject.startswith("Correction accepted: Sample Yazd")
    assert len(_to(firms["manager"])) == 1  # the estate's manager hears of it by email too
    for name in ("silent", "other_owner", "other_manager", "analyst", "public"):
        assert not _to(firms[name]), name

    # a file's correction (record_returns) is told the same way
    mail.outbox.clear()
    rows = pd.DataFrame(
        {"enterprise_id": [firms["mine"].pk], "period_id": [period.pk], "employees": [45.0]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_returns(rows)
    _work_the_queue()
    assert "نسخهٔ ۳" in _to(firms["owner"])[0].body
    assert Notification.objects.filter(kind=Kind.CORRECTION, user=firms["owner"]).count() == 2


def test_notify_tells_nobody_out_of_scope(firms):
    event = services.Event(
        kind=Kind.CORRECTION,
        key="correction:test",
        title_en="t",
        title_fa="ت",
        enterprise=firms["mine"],
    )
    outsiders = [firms[n] for n in ("other_owner", "other_manager", "analyst", "public")]
    assert services.notify(event, outsiders) == 0
    assert not mail.outbox and not Notification.objects.exists()
    firms["owner"].is_active = False
    assert services.notify(event, [firms["owner"], firms["manager"]]) == 1


def test_the_digest_sums_up_each_managers_estates_once(firms, due_period, estate):
    # a second firm in the manager's estate, and the other estate's firm, have not filed
    Enterprise.objects.create(
        national_id=OTHER_IDS[1],
        name_fa="ریسندگی یزد",
        name_en="Yazd Spinning",
        isic=Sector.objects.get(code="1311"),
        province=estate.province,
        estate=estate,
    )
    quiet = _user("quiet-manager", Role.ESTATE_MANAGER, estates=[estate])
    NotificationSettings.objects.create(user=quiet, digest="never")
    triggers.scan_due_returns(datetime.date.today(), 7)
    mail.outbox.clear()
    assert services.send_digests() == 2  # the two managers with a digest
    [mine] = _to(firms["manager"])
    assert "شهرک صنعتی یزد" in mine.body and "ریسندگی یزد" in mine.body
    assert firms["mine"].name_fa in mine.body and "کاشی اردکان" not in mine.body
    assert "۲" in mine.body  # two returns due, in Persian digits
    [html, _] = mine.alternatives[0]
    assert 'dir="rtl"' in html
    [theirs] = _to(firms["other_manager"])
    assert "کاشی اردکان" in theirs.body and firms["mine"].name_fa not in theirs.body
    assert not _to(quiet)
    # nothing new, and not yet a day later: no second digest
    assert services.send_digests() == 0
    assert services.send_digests(timezone.now() + datetime.timedelta(days=1)) == 0


def test_the_inbox_and_the_preferences_pages(firms, due_period):
    client = Client()
    client.force_login(firms["owner"])
    triggers.scan_due_returns(datetime.date.today(), 7)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert 'dir="rtl"' in page and "مهلت اظهارنامه" in page
    assert 'class="badge"' in page  # the unread count in the navigation
    mine = firms["owner"].notifications.get()
    reply = client.post("/notifications/read/", {"id": mine.pk, "open": mine.link})
    assert reply.status_code == 302 and reply["Location"] == mine.link
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'class="badge"' not in client.get("/notifications/").content.decode()
    # another user's notification cannot be marked read
    theirs = firms["owner_en"].notifications.get()
    client.post("/notifications/read/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None

    # choices: an owner chooses every kind, no digest; then hears by email no more
    form = client.get("/notifications/preferences/").content.decode()
    assert 'name="alert_email"' in form and 'name="digest"' not in form
    saved = client.post(
        "/notifications/preferences/",
        {"language": "en", **{f"{k}_in_app": "on" for k in Kind.values}},
    )
    assert saved.status_code == 302
    assert services.preferences(firms["owner"])[Kind.CORRECTION] == (True, False)
    assert NotificationSettings.objects.get(user=firms["owner"]).language == "en"

    manager = Client()
    manager.force_login(firms["manager"])
    assert 'name="digest"' in manager.get("/notifications/preferences/").content.decode()
    public = Client()
    public.force_login(firms["public"])
    form = public.get("/notifications/preferences/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="edition_email"' in form and 'name="alert_email"' not in form
    assert Client().get("/notifications/").status_code == 302  # to the login page


# --- alerts and editions: a demo population with a published edition --------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            with TestCase.captureOnCommitCallbacks() as published:
                made = published_demo(150, 3, "n-analyst")
            people = compute.population()
            alerts = compute.run_for(people.default.year, people).alerts.for_period(
                people.default.year
            )
            counts = alerts["national_id"].value_counts()
            ranked = set(
                made["edition"]
                .results.filter(rank__isnull=False)
                .values_list("enterprise__national_id", flat=True)
            )
            alerted = Enterprise.objects.filter(
                national_id__in=set(counts[counts >= 2].index) & ranked,
                estate__isnull=False,
            ).order_by("national_id")
            mine = alerted.first()
            other = alerted.exclude(estate=mine.estate).first()
            analyst = made["analyst"]
            analyst.email = "n-analyst@example.org"
            analyst.save()
            yield {
                "published": published,
                "edition": made["edition"],
                "alerts": alerts,
                "mine": mine,
                "other": other,
                "owner": _user("a-owner", Role.ENTERPRISE, enterprise=mine),
                "owner_en": _user("a-owner-en", Role.ENTERPRISE, enterprise=mine, language="en"),
                "silent": _user(
                    "a-silent",
                    Role.ENTERPRISE,
                    enterprise=mine,
                    **{k: (False, False) for k in Kind.values},
                ),
                "other_owner": _user("a-other-owner", Role.ENTERPRISE, enterprise=other),
                "manager": _user("a-manager", Role.ESTATE_MANAGER, estates=[mine.estate]),
                "analyst": analyst,
                "public": _user("a-public", Role.PUBLIC),
            }
        finally:
            compute.clear()


@pytest.mark.django_db
def test_new_alerts_are_told_to_the_firms_users_once(world):
    keys = list(
        world["alerts"].loc[world["alerts"]["national_id"] == world["mine"].national_id, "key"]
    )
    closed = keys[0]  # someone closed it already: nobody is told
    AlertState.objects.create(key=closed, status=AlertState.Status.CLOSED)
    triggers.scan_alerts()
    told = {n.key for n in world["owner"].notifications.all()}
    assert told == {f"alert:{k}" for k in keys if k != closed}
    fa = _to(world["owner"])
    assert len(fa) == len(told) and all(m.subject.startswith("هشدار تازه برای") for m in fa)
    assert all(world["mine"].name_fa in m.subject and "شدت" in m.body for m in fa)
    assert all(m.subject.startswith("New alert for") for m in _to(world["owner_en"]))
    theirs = {n.key for n in world["other_owner"].notifications.all()}
    assert theirs and not theirs & told  # another firm's alerts, never this one's
    assert not _to(world["silent"]) and not _inbox(world["silent"])
    # the estate's manager: in the inbox, about the estate's firms only; no email
    managed = set(world["mine"].estate.enterprises.values_list("national_id", flat=True))
    inbox = _inbox(world["manager"])
    assert told <= {n.key for n in inbox} and not _to(world["manager"])
    assert all(n.key.split(":")[2] in managed for n in inbox)
    assert not world["analyst"].notifications.exists() and not _to(world["public"])
    # run again: nothing new
    outbox = len(mail.outbox)
    assert triggers.scan_alerts() == 0 and len(mail.outbox) == outbox
    # the manager's digest lists them
    assert services.send_digests() == 1
    digest = _to(world["manager"])[0]
    assert to_persian_digits(str(len(inbox))) in digest.body
    assert world["mine"].name_fa in digest.body


@pytest.mark.django_db
def test_a_published_edition_is_told_to_everyone_who_chose_it(world):
    assert len(world["published"]) == 1  # publish_edition's hook, queued on commit
    world["published"][0]()
    assert not mail.outbox
    assert _work_the_queue() == ["rasad.platform.notifications.tasks.announce_edition"]
    edition = world["edition"]
    rank = edition.results.get(enterprise=world["mine"]).rank
    [fa] = _to(world["owner"])
    assert fa.subject.startswith("ویرایش تازه منتشر شد")
    assert f"رتبهٔ {world['mine'].name_fa}: {to_persian_digits(str(rank))} از" in fa.body
    [en] = _to(world["owner_en"])
    assert f"is ranked {rank} of" in en.body and f"/editions/{edition.pk}/" in en.body
    [analyst] = _to(world["analyst"])
    assert "رتبه‌بندی" in analyst.body and "رتبهٔ" not in analyst.body  # no firm of theirs
    assert len(_to(world["manager"])) == 1
    # the public's default: the inbox only; the silent owner: nothing
    assert not _to(world["public"]) and len(_inbox(world["public"])) == 1
    assert not _to(world["silent"]) and not _inbox(world["silent"])
    # queued again (a retry): nobody is told twice
    outbox = len(mail.outbox)
    world["published"][0]()
    _work_the_queue()
    assert len(mail.outbox) == outbox


@pytest.mark.django_db
def test_rasad_notify_scans_and_sends_the_digests(world, capsys):
    assert main(["notify", "--days", "7"]) == 0
    first = capsys.readouterr().out
    assert "alert notification(s)" in first and _to(world["manager"])  # its digest
    assert main(["notify"]) == 0
    assert capsys.readouterr().out.startswith("0 alert notification(s), 0 return-due")
    # an email the mail server refused earlier is sent on the next run, once
    unsent = Notification.objects.filter(email=True, user=world["owner"]).first()
    Notification.objects.filter(pk=unsent.pk).update(emailed_at=None)
    before = len(mail.outbox)
    assert main(["notify"]) == 0
    assert "1 email(s) sent again" in capsys.readouterr().out
    assert len(mail.outbox) == before + 1 and mail.outbox[-1].to == [world["owner"].email]
    assert main(["notify"]) == 0
    assert "0 email(s) sent again" in capsys.readouterr().out
