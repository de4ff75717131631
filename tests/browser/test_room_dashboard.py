"""The room's dashboard (course_lib/room) in a real browser: Chromium opens /dashboard while
students call the room's server, and the page shows each student, their project and their 429s,
updating on its own; when the server stops, the page says so."""

from __future__ import annotations

import httpx
import pytest

from course_lib import DEFAULT_MODEL
from course_lib.fake import FakeGemini
from course_lib.room import RoomServer
from tests.browser.test_lab_in_browser import ARTIFACTS, CHROMIUM, launch

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install it with apt-get"),
    pytest.mark.long_run,  # a page that updates once a second: it holds beside the lessons
]
ASK = f"/v1/models/{DEFAULT_MODEL}:generateContent"
BODY = {"contents": [{"parts": [{"text": "Explain the GIL in 20 words"}]}]}


def test_the_dashboard_shows_the_room_live_and_says_when_the_server_stops():
    from playwright.sync_api import expect, sync_playwright

    room = RoomServer(FakeGemini(latency=0.0, rpm=3, window_s=60.0), projects=1)
    url = room.start()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/dashboard")
            expect(page.locator("#students")).to_contain_text("No student has called yet")
            for name in ("ana", "ben", "chloe", "dev"):  # 3 a minute for the room: dev is refused
                httpx.post(url + ASK, json=BODY, headers={"x-goog-api-key": name})
            # no reload: the page asks for the state every second
            expect(page.locator("#students tr")).to_have_count(4, timeout=10_000)
            dev = page.locator("#students tr", has_text="dev")
            expect(dev.locator(".refused")).to_have_text("1")
            expect(page.locator("#status")).to_contain_text("4 student(s)")
            expect(page.locator("#status")).to_contain_text("1 refused in the last minute")
            expect(page.locator("#limits")).to_contain_text("3 requests a minute per project")
            assert page.locator("#chart rect").count() >= 1  # the room's calls a second
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "room-dashboard.png"))
            room.stop()
            expect(page.locator("#status")).to_have_text(
                "The server does not answer: is it still running?", timeout=10_000
            )
            browser.close()
    finally:
        room.stop()
