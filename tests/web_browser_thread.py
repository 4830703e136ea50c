"""Chromium for one test, in a thread of its own (not a test module).

Playwright's sync API allows one running instance per thread, and tests/test_web_browser.py keeps its
session-wide browser open in the main thread until the session ends; a test that runs its browser in its own
thread works whatever ran before or runs after it. Same Debian Chromium and arguments as there."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS


def run_in_browser(flow: Callable, *args) -> None:
    """``flow(browser, *args)`` with a headless Chromium launched for it; its failure is raised here."""
    failures: list[BaseException] = []

    def target() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    flow(browser, *args)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test's thread)
            failures.append(exc)

    thread = threading.Thread(target=target, name="chromium", daemon=True)
    thread.start()
    thread.join(timeout=600)
    if thread.is_alive():
        raise TimeoutError("the browser flow did not finish in 10 minutes")
    if failures:
        raise failures[0]
