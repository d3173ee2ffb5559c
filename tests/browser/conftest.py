"""Playwright (sync API) driving Debian's chromium against the live test server.

Never a downloaded browser: the executable is /usr/bin/chromium (or RISKDESK_CHROMIUM).
Playwright's sync API runs an event loop in this thread, so Django's ORM calls in the
test body need DJANGO_ALLOW_ASYNC_UNSAFE.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator["object"]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which(os.environ.get("RISKDESK_CHROMIUM", "chromium"))
    if executable is None:
        pytest.fail("no chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser session (its own cookies) at 1366x768, the desk's smallest screen."""
    contexts = []

    def open_page():
        context = browser.new_context(
            viewport={"width": 1366, "height": 768}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> Path:
    """Save a screenshot into docs/screenshots/ (checked in, shown in the README)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
