"""The period pickers and the coverage messages in a real browser (issue 15): with 2 of
300 enterprises filed for 1404 and a research panel beside the demo, an analyst's
alerts, needs and scorecard pages open on 1403 and say why, the reader can pick 1404
or the panel, in Persian and in English, at desktop and phone width. Screenshots are
written for a person to look at (see conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rasad.cli import main
from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, load_demo
from rasad.platform.monitoring import compute
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.services import get_period, record_return

pytestmark = pytest.mark.slow

PANEL = Path(__file__).parents[1] / "fixtures" / "firm_panels" / "emplUK_1976_1984.csv"
LATIN_DIGIT = re.compile(r"[0-9]")


@pytest.fixture
def early(transactional_db, settings):
    """300 demo enterprises, two of them filed for 1404, and the UK panel."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    compute.clear()
    load_demo(generate(n_enterprises=300, seed=7))
    analyst = User.objects.get(username=DEMO_USERS[Role.ANALYST])
    period = get_period("1404")
    early = list(Enterprise.objects.order_by("national_id")[:2])
    for enterprise in early:
        record_return(enterprise, period, {"employees": 14.0, "sales": 2000.0}, user=analyst)
    assert (
        main(
            [
                "import",
                str(PANEL),
                "--mapping",
                "uk_emplUK",
                "--constant",
                "isic_class=2599",
                "--constant",
                "province=Tehran",
                "--as",
                analyst.username,
                "--no-progress",
            ]
        )
        == 0
    )
    yield early[0]
    compute.clear()


def log_in(page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", DEMO_USERS[Role.ANALYST])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_pages_open_on_the_covered_period_and_say_why(early, page, screenshots):
    log_in(page)
    page.goto("/monitoring/alerts/")
    why = page.locator("#period-why")
    assert "۱۴۰۳" in why.inner_text() and "۱۴۰۴" in why.inner_text()
    assert not LATIN_DIGIT.search(why.inner_text())
    assert page.locator("#period-choice").get_attribute("data-period") == "1403"
    assert page.locator("#period-choice").input_value() == ""  # "the latest with enough returns"
    page.screenshot(path=screenshots / "fa-periods-01-alerts.png", full_page=True)
    # the reader picks 1404: it is shown, and no reason is given for a choice they made
    page.select_option("#period-choice", "1404")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_load_state()
    assert "period=1404" in page.url and page.locator("#period-why").count() == 0
    assert page.locator("#period-choice").input_value() == "1404"
    page.goto("/monitoring/needs/")
    assert page.locator("#period-choice").get_attribute("data-period") == "1403"
    assert page.locator("#period-why").is_visible()
    page.screenshot(path=screenshots / "fa-periods-02-needs.png", full_page=True)
    # the panel: its own years, and a note that its money is nominal
    page.select_option(
        "#dataset-choice", "uk-empl-1976-1984"
    )  # with the period left at its default
    page.click("#needs-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#period-choice").get_attribute("data-period") == "1362"
    assert page.locator("#nominal-note").is_visible()
    page.screenshot(path=screenshots / "fa-periods-03-panel.png", full_page=True)
    # the scorecard of a firm that already filed for 1404: one period throughout
    page.goto(f"/enterprises/{early.national_id}/")
    assert page.locator("#monitoring").get_attribute("data-period") == "1403"
    assert "۱۴۰۳" in page.locator("#figures h2").inner_text()
    page.screenshot(path=screenshots / "fa-periods-04-scorecard.png", full_page=True)
    page.select_option("#period-choice", "1404")
    page.click("#period-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#monitoring").get_attribute("data-period") == "1404"
    assert "۱۴۰۴" in page.locator("#figures h2").inner_text()
    # at phone width the pickers and the reason fit the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/monitoring/alerts/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.screenshot(path=screenshots / "fa-periods-05-alerts-phone.png", full_page=True)


def test_the_reason_in_english(early, page, screenshots):
    log_in(page)
    page.goto("/monitoring/alerts/")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    text = page.locator("#period-why").inner_text()
    assert text.startswith("1403 is shown:") and "1404 is not yet: 2 of 300" in text
    page.screenshot(path=screenshots / "en-periods-01-alerts.png", full_page=True)
    page.goto(f"/enterprises/{early.national_id}/")
    assert "1403 is shown" in page.locator("#period-why").inner_text()
    page.screenshot(path=screenshots / "en-periods-02-scorecard.png", full_page=True)


def test_the_new_edition_form_offers_the_covered_year_and_refuses_a_thin_one(
    early, page, screenshots
):
    from rasad.platform.returns.models import Period

    log_in(page)
    page.goto("/analysis/editions/new/")
    year_1403 = str(Period.objects.get(year=1403, quarter__isnull=True).pk)
    assert page.locator("select[name=period]").input_value() == year_1403
    reason = page.locator("#period-reason").inner_text()
    assert "۱۴۰۳" in reason and not LATIN_DIGIT.search(reason)
    page.screenshot(path=screenshots / "fa-periods-06-new-edition.png", full_page=True)
    page.select_option(
        "select[name=period]", str(Period.objects.get(year=1404, quarter__isnull=True).pk)
    )
    page.fill("textarea[name=spec]", "")
    page.click("#create-and-run")
    page.wait_for_load_state()
    error = page.locator(".field-error, .alert.bad").first.inner_text()
    assert "۱۴۰۴" in error and "۲ از ۳۰۰" in error and "۵۰٪" in error
    page.screenshot(path=screenshots / "fa-periods-07-thin-refused.png", full_page=True)
