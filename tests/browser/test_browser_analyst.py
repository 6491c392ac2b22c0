"""The analyst's workflow in a real browser (issue 6 item 5): log in, create an edition,
watch its background computation reach 100%, review it, publish it — in Persian (RTL,
Persian digits) and in English. Screenshots of every step are written for a person to
look at (see conftest.py)."""

from __future__ import annotations

import re
import time

import pytest

from rasad.demo import generate
from rasad.platform.accounts.models import Role
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, load_demo
from rasad.platform.rankings import jobs
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.models import Edition, EditionJob, EditionResult
from rasad.platform.rankings.services import publish_edition
from rasad.platform.returns.models import Period

pytestmark = pytest.mark.slow

LATIN_DIGIT = re.compile(r"[0-9]")
PERSIAN_DIGIT = re.compile(r"[۰-۹]")
TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789.")


@pytest.fixture
def demo(transactional_db, settings):
    """300 demo enterprises and a published edition of 1402 (to compare 1403 with)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(generate(n_enterprises=300, seed=7))
    from rasad.platform.accounts.models import User

    analyst = User.objects.get(username=DEMO_USERS[Role.ANALYST])
    edition = Edition.objects.create(
        name_fa="ویرایش ۱۴۰۲",
        name_en="Edition 1402",
        methodology=bundled_methodology(),
        period=Period.objects.get(year=1402, quarter__isnull=True),
    )
    job = jobs.run_job(
        jobs.start_compute(edition, analyst, spec_text=bundled_spec(), runs=30, sensitivity_n=0).pk
    )
    assert job.status == "done", job.error_en
    publish_edition(edition, analyst)
    return edition


def log_in(page, role=Role.ANALYST):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", DEMO_USERS[role])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def percent_of(text: str) -> float:
    return float(text.translate(TO_LATIN).strip("٪% "))


def test_analyst_creates_runs_reviews_and_publishes_in_persian(
    demo, queue_worker, page, screenshots
):
    log_in(page)
    page.goto("/analysis/editions/")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "fa"
    assert page.inner_text("h1") == "ویرایش‌های رتبه‌بندی"
    assert "ویرایش ۱۴۰۲" in page.inner_text("#editions")
    page.screenshot(path=screenshots / "fa-01-editions.png", full_page=True)

    page.click("#new-edition")
    assert page.input_value("#id_runs") == "۱۰۰۰"  # defaults shown in Persian digits
    assert "percentile_rank" in page.input_value("#id_spec")  # the bundled uncertainty spec
    assert page.inner_text("#id_period option:checked").startswith(
        "۱۴۰۳ ("
    )  # with its filing coverage
    assert page.inner_text("#period-reason").startswith("دورهٔ ۱۴۰۳")  # and why it is offered first
    page.fill("#id_runs", "۸۰۰")  # typed in Persian digits
    page.fill("#id_seed", "۷")
    page.select_option("#id_sensitivity_n", "16")
    page.screenshot(path=screenshots / "fa-02-new-edition.png", full_page=True)
    page.click("#create-and-run")

    # the progress page: watch it reach 100%, polled by the page itself, while a worker
    # (`rasad worker` in production; here a thread of the test, to see its database)
    # takes the job from the queue
    page.wait_for_url(re.compile(r"/analysis/jobs/\d+/$"))
    worker = queue_worker.run_queued_in_background()
    seen, middle_shot = [], False
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        text = page.inner_text("#job-percent")
        if not seen or seen[-1] != text:
            seen.append(text)
        if 0 < percent_of(text) < 100 and not middle_shot:
            page.screenshot(path=screenshots / "fa-03-progress.png")
            middle_shot = True
        if page.is_visible("#job-done") or page.is_visible("#job-error"):
            break
        time.sleep(0.1)
    worker.join(timeout=60)
    # the page may have finished between reading the percent and seeing "done": read it once more
    final = page.inner_text("#job-percent")
    if seen[-1] != final:
        seen.append(final)
    assert not page.is_visible("#job-error"), page.inner_text("#job-error")
    assert page.is_visible("#job-done")
    assert seen[-1] == "۱۰۰٪" and all(PERSIAN_DIGIT.search(t) for t in seen)
    values = [percent_of(t) for t in seen]
    assert values == sorted(values) and len(values) >= 2, seen
    assert page.get_attribute(".progress", "aria-valuenow") == "100"
    assert "بنگاه رتبه گرفتند" in page.inner_text("#job-done")
    page.screenshot(path=screenshots / "fa-04-done.png")

    job = EditionJob.objects.get(edition__period__year=1403)
    assert job.status == "done" and job.params["runs"] == 800 and job.params["seed"] == 7

    # review
    page.click("#review-link")
    edition = job.edition
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator("svg.histogram rect.hist-bar").count() == 20
    top = EditionResult.objects.filter(edition=edition, rank__lte=100).count()
    assert page.locator("table.intervals tbody tr").count() == top
    assert (
        page.locator("table.sensitivity tbody tr").count() == 4
    )  # weights (both levels, one input), normalise, aggregate, drop
    assert "وزن‌ها، همهٔ سطح‌ها با هم به‌عنوان یک ورودی" in page.inner_text("table.sensitivity")
    assert page.locator("#changes table.movers-table.up tbody tr").count() == 10
    for cell in page.locator(
        "table.intervals td.n, .facts-grid dd:not(:has(code))"
    ).all_inner_texts():
        assert not LATIN_DIGIT.search(cell), cell  # numbers in Persian digits
    first_rank = page.locator("table.intervals tbody tr").first.locator("td").first.inner_text()
    assert first_rank == "۱"
    page.screenshot(path=screenshots / "fa-05-review.png", full_page=True)
    page.locator("#distribution").screenshot(path=screenshots / "fa-06-histogram.png")
    page.locator("#sensitivity").screenshot(path=screenshots / "fa-07-sensitivity.png")
    page.locator("#changes").screenshot(path=screenshots / "fa-08-changes.png")

    # publishing asks first; saying no publishes nothing
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#publish")
    page.wait_for_timeout(300)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    page.wait_for_selector("#edition-status.published")
    assert page.inner_text("#edition-status") == "منتشرشده"
    assert "منتشر شد" in page.inner_text(".messages")
    assert page.locator("#publish").count() == 0 and page.locator("#run").count() == 0
    edition.refresh_from_db()
    assert edition.is_published and edition.published_by.username == DEMO_USERS[Role.ANALYST]
    page.screenshot(path=screenshots / "fa-09-published.png")


def test_the_review_in_english(demo, page, screenshots):
    log_in(page)
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    page.goto(f"/analysis/editions/{demo.pk}/")
    assert page.get_attribute("html", "dir") == "ltr" and page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1").startswith("Edition 1402")
    assert "Score distribution" in page.inner_text("#distribution")
    assert page.locator("table.intervals tbody tr").count() > 0
    for cell in page.locator("table.intervals td.n").all_inner_texts():
        assert not PERSIAN_DIGIT.search(cell), cell
    page.screenshot(path=screenshots / "en-01-review.png", full_page=True)


def test_a_failed_job_shows_its_error(demo, page, screenshots):
    quarter = Period.objects.create(year=1403, quarter=1)
    edition = Edition.objects.create(
        name_fa="فصلی", name_en="Quarterly", period=quarter, methodology=bundled_methodology()
    )
    job = jobs.run_job(jobs.start_compute(edition, spec_text="", runs=10).pk)
    log_in(page)
    page.goto(f"/analysis/jobs/{job.pk}/")
    assert page.is_visible("#job-error") and not page.is_visible("#job-done")
    assert "فصل" in page.inner_text("#job-error") and "ناموفق" in page.inner_text("#job-status")
    page.screenshot(path=screenshots / "fa-10-failed.png")


@pytest.mark.parametrize("role", [Role.PUBLIC, Role.ENTERPRISE, Role.ESTATE_MANAGER])
def test_other_roles_are_turned_away(demo, page, role):
    log_in(page, role)
    response = page.goto("/analysis/editions/")
    assert response.status == 403
    assert page.goto(f"/analysis/editions/{demo.pk}/").status == 403
