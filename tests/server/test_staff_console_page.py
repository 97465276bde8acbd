"""The staff console in a real browser (Debian's Chromium, driven by Playwright).

Handoffs are created the way patients create them: messages to the real
Rasa server's REST channel, handled by the real action server. The console
reads the same handoff database and tracker store as those servers.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.server.conftest import ARTIFACTS, send
from tools.processes import free_port

pytestmark = pytest.mark.server

PASSWORD = "the staff password, long"
DISCLOSURE = "I was diagnosed with schizophrenia, can I still do ketamine?"
SPANISH_DISCLOSURE = "Me diagnosticaron esquizofrenia, ¿todavía puedo recibir ketamina?"


@pytest.fixture(scope="module")
def console_url(assistant: str, handoff_db_url: str, tracker_db: Path) -> Iterator[str]:
    from tools.staff_console import StaffConsole
    from tools.web_server import serve_page

    console = StaffConsole.from_urls(handoff_db_url, f"sqlite:///{tracker_db}")
    console.staff.set_account("nurse", "staff", PASSWORD)
    console.staff.set_account("admin", "admin", PASSWORD)
    console.staff.set_account("curator", "curator", PASSWORD)
    port = free_port()
    server = serve_page(port, assistant, staff_console=console)
    yield f"http://localhost:{port}/staff/"
    server.shutdown()


SCREENSHOT_MAX_HEIGHT = 4000
ASKED_TWICE = [
    "Anchorage", "Boise", "Cheyenne", "Denver", "El Paso", "Fresno", "Galveston", "Helena",
    "Ithaca", "Juneau", "Knoxville", "Laramie", "Macon", "Nashua", "Omaha", "Peoria", "Quincy",
    "Reno", "Salem", "Tulsa", "Utica", "Vallejo", "Wichita", "Yakima", "Yonkers", "Zanesville",
]  # fmt: skip


@pytest.fixture
def page(browser: object, console_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    page.goto(console_url)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The whole page, up to a height Chromium can capture in one piece: the
    # insights tables grow with every test conversation that got a fallback.
    height = min(page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_MAX_HEIGHT)
    page.screenshot(
        path=str(ARTIFACTS / f"{request.node.name}.png"),
        clip={"x": 0, "y": 0, "width": 1280, "height": height},
        full_page=True,
    )
    context.close()
    assert not errors, errors  # no script error, nothing the policy blocked


def log_in(page: object, username: str, password: str = PASSWORD) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")


def words(text: str) -> str:
    """Text as read, whatever spaces and line breaks the layout put between its words."""
    return " ".join(text.split())


def new_handoff(assistant: str, message: str = DISCLOSURE) -> str:
    reply = send(assistant, f"staff-{uuid.uuid4()}", message)
    [handoff] = [i["custom"] for i in reply if i.get("custom", {}).get("kind") == "handoff"]
    return handoff["handoff_id"]


def test_a_new_handoff_appears_in_the_inbox_by_itself(page: object, assistant: str) -> None:
    """Logged in and waiting: a patient's handoff shows up with its age, no reload needed."""
    log_in(page, "nurse")
    page.locator("#inbox, #inbox-empty").first.wait_for()
    seconds = []
    for _ in range(4):
        time.sleep(random.uniform(0, 5))  # any moment of the 5 s polling cycle
        handoff_id = new_handoff(assistant)
        created = time.monotonic()
        row = page.locator(f"#inbox tr[data-handoff='{handoff_id}']")
        row.wait_for(timeout=20000)
        seconds.append(time.monotonic() - created)
        assert "schizophrenia" not in row.inner_text()  # conditions are categories
        assert "psychosis" in row.inner_text() and "just now" in row.inner_text()
    figures = {"seconds": [round(s, 2) for s in seconds],
               "median": round(statistics.median(seconds), 2)}  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "staff_inbox_latency.json").write_text(json.dumps(figures))
    assert max(seconds) < 10, figures  # polled every 5 s


def test_a_spanish_handoff_says_to_call_back_in_spanish(page: object, assistant: str) -> None:
    """The inbox row and the detail both show the patient's language, Spanish standing out."""
    message = {"sender": f"staff-{uuid.uuid4()}", "message": SPANISH_DISCLOSURE,
               "metadata": {"language": "es"}}  # fmt: skip
    reply = requests.post(assistant, json=message, timeout=30)
    [spanish] = [i["custom"] for i in reply.json() if i.get("custom", {}).get("kind") == "handoff"]
    english = new_handoff(assistant)
    log_in(page, "nurse")
    spanish_row = page.locator(f"#inbox tr[data-handoff='{spanish['handoff_id']}']")
    english_row = page.locator(f"#inbox tr[data-handoff='{english}']")
    spanish_row.wait_for()
    badge = spanish_row.locator(".language-badge")
    english_badge = english_row.locator(".language-badge")
    assert badge.get_attribute("data-language") == "es"
    assert words(badge.inner_text()) == "Spanish · Español"
    assert english_badge.inner_text() == "English"
    background = "(element) => getComputedStyle(element).backgroundColor"
    assert badge.evaluate(background) != english_badge.evaluate(background), "Spanish stands out"
    spanish_row.locator("button").click()
    language = page.locator("#detail-language")
    language.wait_for()
    assert words(language.inner_text()) == "Spanish · Español Call back in Spanish."
    assert language.locator("[lang=es]").inner_text() == "Español"


def test_staff_read_the_transcript_as_text_and_resolve_with_a_note(
    page: object, assistant: str
) -> None:
    sender = f"staff-{uuid.uuid4()}"
    attack = '<img src=x onerror="window.pwned=true"> my back hurts'
    send(assistant, sender, attack)
    reply = send(assistant, sender, DISCLOSURE)
    [handoff] = [i["custom"] for i in reply if i.get("custom", {}).get("kind") == "handoff"]
    handoff_id = handoff["handoff_id"]
    page.evaluate("window.pwned = false")
    log_in(page, "nurse")
    page.locator(f"#inbox tr[data-handoff='{handoff_id}'] button").click()
    transcript = page.locator("#transcript")
    transcript.wait_for()
    text = transcript.inner_text()
    assert attack in text and DISCLOSURE in text, "the whole conversation, as text"
    assert page.locator("#transcript img").count() == 0 and page.evaluate("window.pwned") is False
    page.fill("#resolve textarea", "Called back; booked a consult with Dr. Lee")
    page.click("#resolve button[type=submit]")
    page.locator("#resolution-note").wait_for()
    assert page.locator("#resolution-note").inner_text() == (
        "Called back; booked a consult with Dr. Lee"
    )
    page.locator(f"#inbox tr[data-handoff='{handoff_id}']").wait_for(state="detached")
    page.select_option("#status-filter", "resolved")
    page.locator(f"#inbox tr[data-handoff='{handoff_id}']").wait_for()


def test_filters_by_reason_and_admins_read_the_audit_log(page: object, assistant: str) -> None:
    person = new_handoff(assistant, "I want to talk to a real person please")
    log_in(page, "admin")
    page.locator(f"#inbox tr[data-handoff='{person}']").wait_for()
    page.select_option("#reason-filter", "contraindication")
    page.locator(f"#inbox tr[data-handoff='{person}']").wait_for(state="detached")
    assert "Asked for a person" not in page.locator("#inbox").inner_text()
    page.select_option("#reason-filter", "user_request")
    page.locator(f"#inbox tr[data-handoff='{person}'] button").click()
    page.locator("#transcript").wait_for()
    page.click("#audit-tab")
    page.locator("#audit").wait_for()
    assert f"handoff.view{person}" in page.locator("#audit").inner_text().replace("\t", "")


def test_logging_out_returns_to_the_login_form(page: object) -> None:
    log_in(page, "nurse")
    page.locator("#logout").wait_for()
    assert page.locator("#insights-tab").count() == 0, "insights are for curators"
    page.click("#logout")
    page.locator("#login").wait_for()
    page.reload()
    page.locator("#login").wait_for()  # the session is gone on the server too


def test_a_curator_sees_insights_with_charts_and_the_question_nobody_answered(
    page: object, assistant: str
) -> None:
    question = "What is the capital city of Mongolia?"
    reply = send(assistant, f"staff-{uuid.uuid4()}", question)
    assert any(i.get("custom", {}).get("kind") == "fallback" for i in reply), reply
    # More than a page of unanswered questions, each asked twice, so the one
    # above (asked once) is not among the 25 shown first.
    for city in ASKED_TWICE:
        for _ in range(2):
            send(assistant, f"staff-{uuid.uuid4()}", f"what is the best pizza place in {city}")
    log_in(page, "curator")
    page.click("#insights-tab")
    page.locator("#insights").wait_for()
    assert page.locator("#unanswered tbody tr").count() == 25
    assert question not in page.locator("#unanswered").inner_text()
    page.click("#unanswered-all")
    assert question in page.locator("#unanswered").inner_text()
    for chart in ("#replies-chart", "#handoffs-chart", "#topics-chart"):
        drawn = page.evaluate(
            """(selector) => {
                const canvas = document.querySelector(selector);
                const { width, height } = canvas;
                const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
                let painted = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted += 1;
                return { width, height, painted };
            }""",
            chart,
        )
        assert drawn["width"] > 100 and drawn["height"] > 100 and drawn["painted"] > 500, drawn
    fallbacks = page.locator("#replies-table tr", has_text="Not understood").inner_text()
    assert int(fallbacks.split()[-1]) >= 1, "the chart's numbers are in a table too"
    link = page.locator("#insights a.csv").first
    assert link.get_attribute("href").startswith("/staff/api/insights.csv?days=30&table=")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("insights-unanswered-30d-")
    assert question in Path(download.value.path()).read_text()


def test_five_wrong_passwords_show_the_lockout_message(page: object, handoff_db_url: str) -> None:
    """Last in this file: it locks this browser's address (127.0.0.1), then clears the lock."""
    from sqlalchemy import create_engine, text

    try:
        for attempt in range(5):
            log_in(page, "nurse", "not the password")
            expected = "locked" if attempt == 4 else "Wrong login or password"
            page.locator("#login-error", has_text=expected).wait_for()
        log_in(page, "nurse")  # the right password: still locked
        page.locator("#login-error", has_text="Try again in 15 minutes").wait_for()
    finally:
        with create_engine(handoff_db_url).begin() as connection:
            connection.execute(text("DELETE FROM staff_login_failures"))
