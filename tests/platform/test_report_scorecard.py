"""The enterprise scorecard as a PDF (issue 17): its title and the firm's name read
back in logical order in both languages, the pillars' chart is a picture, the
confidential figures are in it, and it is served to exactly whom the scorecard page
opens for (the page has no public version: for anyone else neither exists)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from pdfs import pdf_text
from rasad.cli import main
from rasad.iran.text import format_number
from rasad.platform.accounts.models import Role, User
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.rankings.models import EditionResult
from rasad.platform.registry.models import Enterprise, IndustrialEstate
from rasad.platform.reports import scorecard
from rasad.platform.reports.models import RenderedReport
from rasad.platform.returns.models import Period, Return
from rasad.platform.returns.services import record_return

PLANTED_SALES = 987_654.0  # million rials: a figure that appears nowhere else
ROLES = {  # role → may download the subject's scorecard
    "anonymous": False,
    "public": False,
    "own": True,
    "other_enterprise": False,
    "estate_manager": True,
    "other_estate_manager": False,
    "analyst": True,
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            published = published_demo(200, 5, "sc-analyst")
            ranked = EditionResult.objects.filter(
                edition=published["edition"], rank__isnull=False, enterprise__estate__isnull=False
            ).select_related("enterprise")
            subject = ranked.order_by("rank").first().enterprise
            # plant a distinctive confidential figure in the return of the period shown
            period = Period.objects.get(year=choice.by_default().period, quarter__isnull=True)
            values = Return.objects.get(enterprise=subject, period=period).current_version.values()
            record_return(subject, period, {**values, "sales": PLANTED_SALES}, note="planted")
            other_estate = IndustrialEstate.objects.exclude(pk=subject.estate_id).first()
            other = Enterprise.objects.exclude(estate=subject.estate).order_by("national_id")[0]
            manager = User.objects.create_user("sc-estate", password="x", role=Role.ESTATE_MANAGER)
            manager.estates.set([subject.estate])
            stranger = User.objects.create_user(
                "sc-estate-2", password="x", role=Role.ESTATE_MANAGER
            )
            stranger.estates.set([other_estate])
            users = {
                "anonymous": None,
                "public": User.objects.create_user("sc-public", password="x", role=Role.PUBLIC),
                "own": User.objects.create_user(
                    "sc-own", password="x", role=Role.ENTERPRISE, enterprise=subject
                ),
                "other_enterprise": User.objects.create_user(
                    "sc-other", password="x", role=Role.ENTERPRISE, enterprise=other
                ),
                "estate_manager": manager,
                "other_estate_manager": stranger,
                "analyst": published["analyst"],
            }
            result = EditionResult.objects.get(edition=published["edition"], enterprise=subject)
            yield {"subject": subject, "users": users, "result": result}
        finally:
            compute.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def joined(text: str) -> str:
    return " ".join(text.replace("\u200c", "").split())


def test_the_persian_scorecard_reads_in_logical_order(world, db):
    content = scorecard.render(world["subject"].national_id, language="fa")
    assert content.startswith(b"%PDF") and b"/Subtype /Image" in content  # the pillars' chart
    text = joined(pdf_text(content))
    assert "کارنامه" in text  # the title
    assert joined(world["subject"].name_fa) in text
    assert "امتیاز محورها در برابر همتایان" in text
    assert format_number(world["result"].rank, persian_digits=True) in text
    assert format_number(PLANTED_SALES, persian_digits=True) in text  # confidential: shown


def test_the_english_scorecard(world, db):
    content = scorecard.render(world["subject"].national_id, language="en")
    assert b"/Subtype /Image" in content
    text = joined(pdf_text(content))
    assert "Scorecard" in text and world["subject"].name_en in text
    assert "Pillar scores against peers" in text and "What to improve" in text
    assert "rank of" in text and format_number(PLANTED_SALES, persian_digits=False) in text
    assert "۱" not in text  # Latin digits throughout


@pytest.mark.parametrize("role", ROLES)
def test_who_downloads_the_scorecard(world, client, db, media, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    nid = world["subject"].national_id
    response = client.get(f"/reports/scorecard/{nid}.pdf?lang=en")
    if not ROLES[role]:
        assert response.status_code == 404
        assert client.get(f"/reports/scorecard/{nid}/").status_code == 404
        assert not RenderedReport.objects.exists()
        return
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="scorecard-{nid}-en.pdf"' in response["Content-Disposition"]
    text = pdf_text(b"".join(response.streaming_content))
    assert format_number(PLANTED_SALES, persian_digits=False) in text


def test_one_file_serves_every_reader_until_the_data_change(world, client, db, media):
    nid = world["subject"].national_id
    for role in ("own", "analyst"):
        client.force_login(world["users"][role])
        assert client.get(f"/reports/scorecard/{nid}.pdf?lang=fa").status_code == 200
    first = RenderedReport.objects.get()
    assert default_storage.exists(first.file)
    # deciding about one of its alerts is on the PDF: a new version
    AlertState.objects.create(key=f"decline:{nid}:1403", status=AlertState.Status.ACKNOWLEDGED)
    assert scorecard.version(nid) != first.version
    assert scorecard.version("10000000000") is None


def test_the_page_offers_the_download(world, client, db):
    client.force_login(world["users"]["own"])
    nid = world["subject"].national_id
    for language in ("fa", "en"):
        client.cookies["django_language"] = language
        page = client.get(f"/enterprises/{nid}/").content.decode()
        assert f'id="scorecard-pdf" href="/reports/scorecard/{nid}.pdf?lang={language}"' in page


def test_the_command_line_writes_the_pdf(world, db, tmp_path):
    out = tmp_path / "scorecard.pdf"
    nid = world["subject"].national_id
    assert main(["report", "scorecard", nid, "--out", str(out), "--lang", "en"]) == 0
    assert world["subject"].name_en in pdf_text(out.read_bytes())
