"""Pages on paper (issue 17, item 2): the print stylesheet in a real browser. An analyst's
Top-100, alerts inbox and needs matrix, in Persian, with print media: no menus, buttons,
forms or downloads; the filters' choices stay as a line of context; table headers repeat
on every page; a wide table is not cut by its on-screen scroller and fits its page; the
folded blanks of a rank are open; colour that carries meaning is kept; the footer gives
the page's address and date. ``page.pdf()`` prints each page to a PDF of a sane number of
A4 pages, written beside the screenshots for a person to look at (see conftest.py).
"""

from __future__ import annotations

import re

import pytest

from rasad.demo import generate
from rasad.platform.accounts.models import Role
from rasad.platform.clusters_web import compute as clusters
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, load_demo, publish_demo_edition
from rasad.platform.monitoring import compute as monitoring

pytestmark = pytest.mark.slow

# The content box of an A4 page under print.css's margins (210 − 2 × 12 mm, 297 − 2 × 12 mm)
# in CSS pixels: print media at this viewport width lays the page out as on paper.
PORTRAIT = {"width": 703, "height": 1000}
LANDSCAPE = {"width": 1031, "height": 700}
PDF_PAGE = re.compile(rb"/Type\s*/Page\b")


@pytest.fixture
def demo(transactional_db, settings):
    """150 demo enterprises and a published edition (20 uncertainty runs)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monitoring.clear()
    clusters.clear()
    load_demo(generate(n_enterprises=150, seed=7))
    job = publish_demo_edition(runs=20)
    assert job is not None and job.status == "done", job and job.error_en
    yield
    monitoring.clear()
    clusters.clear()


def log_in(page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", DEMO_USERS[Role.ANALYST])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(
        selector, "(e, prop) => getComputedStyle(e).getPropertyValue(prop)", prop
    )


def hidden_on_paper(page, selector: str) -> None:
    """Every element ``selector`` matches (at least one) is not rendered in print media."""
    found = page.locator(selector)
    assert found.count(), f"nothing matches {selector}"
    for i in range(found.count()):
        assert not found.nth(i).is_visible(), f"{selector} #{i} is printed"


def fits(page, table: str) -> None:
    """The table's wrapper lets it overflow (no scroller to cut it on paper), and the table
    is no wider than the printed page's content box."""
    wrap = f"{table} >> xpath=.."
    assert style(page, wrap, "overflow-x") == "visible"
    widths = page.eval_on_selector(
        table,
        "t => [t.getBoundingClientRect().width, t.parentElement.getBoundingClientRect().width,"
        " document.querySelector('main').getBoundingClientRect().width]",
    )
    assert widths[0] <= widths[1] + 1 and widths[0] <= widths[2] + 1, widths


def print_pdf(page, path, *, most: int) -> int:
    page.pdf(path=str(path), format="A4", prefer_css_page_size=True)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(PDF_PAGE.findall(data))
    assert 1 <= pages <= most, pages
    return pages


def common(page) -> None:
    """What every printed page keeps and drops."""
    for selector in ("header.topbar nav", "header.topbar form", "main button"):
        hidden_on_paper(page, selector)
    assert page.locator("main h1").first.is_visible()
    assert page.locator("header .brand").is_visible()  # the site's name above the title
    line = page.locator("#printed-from")
    assert line.is_visible()
    assert page.url in line.inner_text()
    date = line.inner_text().rsplit(" ", 1)[-1]
    assert re.fullmatch(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", date), date
    assert style(page, "body", "background-color") in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")


def test_pages_print_cleanly_in_persian(demo, page, screenshots):
    log_in(page)

    # on screen the footer's address line is not shown; on paper it is
    page.goto("/top100/")
    assert not page.locator("#printed-from").is_visible()
    page.set_viewport_size(PORTRAIT)
    page.emulate_media(media="print")
    common(page)
    # the filters: their choices stay as context, their buttons go
    assert page.locator("#filters select[name=scope]").is_visible()
    hidden_on_paper(page, "#filters button")
    assert style(page, "#filters select[name=scope]", "border-top-style") == "none"
    hidden_on_paper(page, "nav.tabs")
    # the ranking: headers repeat, the table fits, colour of the heat cells kept,
    # the folded blanks of a rank opened
    assert style(page, "table.ranking thead", "display") == "table-header-group"
    assert style(page, "table.ranking tbody tr", "break-inside") == "avoid"
    fits(page, "table.ranking")
    assert style(page, "td.heat", "print-color-adjust") == "exact"
    blanks = page.locator("details.coverage .blank")
    if blanks.count():
        assert blanks.first.is_visible()
    top = print_pdf(page, screenshots / "fa-print-top100.pdf", most=12)
    assert top >= 2  # a hundred rows do not fit one sheet

    # the alerts inbox: the decision forms and their column go, the filters' period stays
    page.emulate_media(media="screen")
    page.goto("/monitoring/alerts/")
    assert page.locator("form.decide").first.is_visible()
    page.emulate_media(media="print")
    common(page)
    hidden_on_paper(page, "form.decide")
    hidden_on_paper(page, "#alerts thead th:last-child")
    assert page.locator("#period-choice").is_visible()
    assert style(page, "#alerts thead", "display") == "table-header-group"
    fits(page, "#alerts table")
    print_pdf(page, screenshots / "fa-print-alerts.pdf", most=40)

    # the needs matrix: the export link goes; the widest table leaves its scroller for a
    # landscape page and fits it (measured at a landscape A4's width)
    page.goto("/monitoring/needs/")
    common(page)
    hidden_on_paper(page, "#export")
    assert style(page, "#needs-matrix", "page") == "wide-fa"
    assert style(page, "#needs-matrix thead", "display") == "table-header-group"
    page.set_viewport_size(LANDSCAPE)
    fits(page, "#needs-matrix table")
    print_pdf(page, screenshots / "fa-print-needs.pdf", most=8)
    page.screenshot(path=screenshots / "fa-print-needs.png", full_page=True)
