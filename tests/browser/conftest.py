"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded
browser) against pytest-django's ``live_server``.

Without chromium or Playwright these tests skip, saying why — except under CI
(``CI`` or ``RASAD_CI`` set, as ``.ci/run`` does), where they fail: a CI run that
silently skipped its browser tests would prove nothing.

Screenshots go to ``$RASAD_SCREENSHOTS`` (default: a pytest temporary directory); look
at them.

Every page a test opens runs under the site's Content-Security-Policy (issue 16): a
violation that chromium reports on the console (a blocked inline script or handler, a
script from elsewhere) fails the test that caused it (:func:`watch_csp`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RASAD_CHROMIUM", "/usr/bin/chromium")
IN_CI = bool(os.environ.get("CI") or os.environ.get("RASAD_CI"))


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} — under CI the browser tests must run, not skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module (Playwright's sync API keeps an event loop in this
    thread while it is open, so it is closed before other modules' tests run)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[dev]'")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(
            f"{CHROMIUM} is missing: apt-get install -y chromium "
            "(Debian's chromium; never `playwright install`)"
        )
    # The ORM refuses to run in a thread with a running event loop, and Playwright's sync
    # API keeps one in this thread while the browser is open; the tests themselves (and
    # the database flush after each) are synchronous. Set for exactly that long.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    where = os.environ.get("RASAD_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


CSP_VIOLATION = "Content Security Policy"


def watch_csp(page) -> list[str]:
    """The console messages of ``page`` in which chromium reports a Content-Security-Policy
    violation ("Refused to execute inline script because it violates the following
    Content Security Policy directive…"), collected as they come."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}") if CSP_VIOLATION in message.text else None
        ),
    )
    return seen


@pytest.fixture(scope="session")
def csp_watch():
    """:func:`watch_csp`, for the modules that open pages of their own."""
    return watch_csp


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale="fa-IR"
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    violations = watch_csp(opened)
    yield opened
    context.close()
    assert not violations, violations
