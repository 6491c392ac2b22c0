"""The edition report, the yearly publication (issue 17): a published edition's PDF in
Persian and English reads back with its title and its top enterprises in order, has its
charts as images, is public once published and only the analysts' while a draft, and
the command line writes it."""

import re

import pytest

from pdfs import pdf_pages, pdf_text
from rasad.cli import main
from rasad.demo import generate
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.rankings import jobs
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.models import Edition, EditionJob
from rasad.platform.rankings.services import compute_edition, publish_edition
from rasad.platform.reports import delivery, edition
from rasad.platform.returns.models import Period

N = 300
YEAR = 1403


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    """The demo population with the editions of 1402 (published, no intervals) and 1403
    (published, with rank intervals and a sensitivity analysis), and a draft of 1403."""
    with module_data(django_db_blocker):
        load_demo(generate(n_enterprises=N, seed=7))
        analyst = User.objects.create_user("report-analyst", password="x", role=Role.ANALYST)
        periods = {p.year: p for p in Period.objects.filter(quarter__isnull=True)}

        def new(year, name):
            return Edition.objects.create(
                name_fa=f"{name} {to_persian_digits(str(year))}",
                name_en=f"Edition {year}",
                period=periods[year],
                methodology=bundled_methodology(analyst),
            )

        before = new(YEAR - 1, "ویرایش")
        compute_edition(before, seed=1)
        publish_edition(before, analyst)
        current = new(YEAR, "ویرایش")
        job = jobs.start_compute(
            current, analyst, spec_text=bundled_spec(), runs=30, seed=5, sensitivity_n=8
        )
        assert jobs.run_job(job.pk).status == EditionJob.Status.DONE
        current.refresh_from_db()
        publish_edition(current, analyst)
        draft = new(YEAR, "پیش‌نویس")
        compute_edition(draft, seed=1)
        top = list(current.results.filter(rank__lte=5).select_related("enterprise"))
        yield {
            "analyst": analyst,
            "edition": current,
            "previous": before,
            "draft": draft,
            "top": [r.enterprise for r in sorted(top, key=lambda r: r.rank)],
            "fa": edition.render(str(current.pk), language="fa"),
            "en": edition.render(str(current.pk), language="en"),
        }


DRAFT = "این ویرایش منتشر نشده است"


def plain(text: str) -> str:
    """Without zero-width non-joiners and spaces: pdftotext drops the one, and moves the
    other across a number in a right-to-left line ("۱۰۰ بنگاه" reads " ۱۰۰بنگاه") or
    breaks a long name over two lines; the letters stay in order."""
    return re.sub(r"[\s\u200c]+", "", text)


def in_order(text: str, names: list[str]) -> bool:
    at = [plain(text).find(plain(name)) for name in names]
    return -1 not in at and at == sorted(at)


def test_the_persian_report_reads_back_with_its_title_and_top_firms_in_order(world, db, tmp_path):
    content = world["fa"]
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert plain("۱۰۰ بنگاه برتر کوچک و متوسط سال ۱۴۰۳") in plain(text)
    assert in_order(text, [firm.name_fa for firm in world["top"]])
    # the sections, in the reader's language
    for heading in ("جابه‌جایی‌ها نسبت به ویرایش پیشین", "روش‌شناسی به اختصار", "ممیزی آماری"):
        assert plain(heading) in plain(text)
    assert plain("در مقایسه با ویرایش") in plain(text)  # the movers, against 1402
    assert plain(DRAFT) not in plain(text)  # published: no draft notice
    assert b"/Subtype /Image" in content  # the charts are pictures
    pages = text.count("\f")
    assert 6 <= pages <= 30
    assert re.search(r"\b۲\b", text)  # page numbers in Persian digits
    assert len(pdf_pages(content, tmp_path, dpi=20)) == pages


def test_the_english_report_has_the_english_title_and_names(world, db):
    text = pdf_text(world["en"])
    assert "The top 100 small and medium enterprises of 1403" in " ".join(text.split())
    assert in_order(text, [firm.name_en for firm in world["top"]])
    assert "Movers since the previous edition" in text and "Sobol" in text
    assert "۱" not in text  # Latin digits throughout
    assert b"/Subtype /Image" in world["en"]


def test_a_report_changes_version_with_its_edition(world, db):
    published, draft = world["edition"], world["draft"]
    assert edition.version(str(published.pk)) != edition.version(str(draft.pk))
    assert str(world["previous"].pk) in edition.version(str(published.pk))
    assert edition.version("0") is None and edition.version("x") is None
    assert edition.filename(str(published.pk), "fa") == "rasad-top100-1403-fa.pdf"
    assert delivery.kind_module("edition") is edition and not edition.INLINE


@pytest.mark.django_db
def test_a_draft_is_the_analysts_only_and_a_published_edition_everyones(
    world, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RASAD_JOBS_INLINE = True
    draft, published = world["draft"], world["edition"]
    assert client.get(f"/reports/edition/{draft.pk}.pdf?lang=fa").status_code == 404
    assert client.get(f"/reports/edition/{draft.pk}/?lang=fa").status_code == 404
    response = client.get(f"/reports/edition/{published.pk}.pdf?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="rasad-top100-1403-en.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page = client.get(f"/editions/{published.pk}/").content.decode()
    assert f"/reports/edition/{published.pk}.pdf?lang=fa" in page

    client.force_login(world["analyst"])
    review = client.get(f"/analysis/editions/{draft.pk}/").content.decode()
    assert f"/reports/edition/{draft.pk}.pdf?lang=en" in review
    response = client.get(f"/reports/edition/{draft.pk}.pdf?lang=fa")
    assert response.status_code == 200
    assert plain(DRAFT) in plain(pdf_text(b"".join(response.streaming_content)))


@pytest.mark.django_db
def test_the_command_line_writes_the_report(world, tmp_path):
    out = tmp_path / "edition.pdf"
    key = str(world["previous"].pk)  # an edition without intervals or sensitivity
    assert main(["report", "edition", key, "--out", str(out), "--lang", "fa"]) == 0
    text = pdf_text(out.read_bytes())
    assert plain("۱۰۰ بنگاه برتر کوچک و متوسط سال ۱۴۰۲") in plain(text)
    assert plain("این ویرایش بدون مشخصات عدم قطعیت محاسبه شده است") in plain(text)
