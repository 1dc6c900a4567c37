"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API in the test
thread; the live server runs in its own thread on a transactional database."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("WINTEHR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server, monkeypatch):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; our own database checks here are
    # plain synchronous code, so Django's async-safety guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        browser_page = context.new_page()
        errors: list[str] = []
        browser_page.on("pageerror", lambda exc: errors.append(str(exc)))
        browser_page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        browser_page.js_errors = errors
        try:
            yield browser_page
        finally:
            context.close()
            browser.close()
