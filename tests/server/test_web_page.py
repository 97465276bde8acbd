"""The demo clinic page in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.server.conftest import PAGE_PORT

pytestmark = pytest.mark.server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
# Chromium as root in a sandboxed CI, with no background network traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page_url(assistant: str) -> Iterator[str]:
    from tools.web_server import serve_page

    server = serve_page(PAGE_PORT, assistant)
    yield f"http://localhost:{PAGE_PORT}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make test installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, page_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(page_url)
    page.locator("deep-chat").wait_for()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def ask(page: object, text: str) -> None:
    box = page.locator("deep-chat #text-input")
    box.click()
    box.type(text)
    page.keyboard.press("Enter")  # keyboard only: no mouse needed to send


def chat_text(page: object) -> str:
    return page.locator("deep-chat #messages").inner_text()


def test_patient_asks_and_sees_the_answer_with_its_source(page: object) -> None:
    ask(page, "What are the side effects of ketamine?")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent.includes('Sources:')"
    )
    text = chat_text(page)
    assert "hallucinations" in text and "Sources:" in text
    assert "not medical advice" in text  # the intro and disclaimer
    assert page.locator("#banner").is_hidden()


def test_contraindication_shows_the_handoff_banner_with_the_clinic_phone(page: object) -> None:
    from core.content_store import default_store

    ask(page, "I was diagnosed with schizophrenia, can I still do ketamine?")
    banner = page.locator("#banner[data-kind='handoff']")
    banner.wait_for()
    assert default_store().content.clinic.phone in banner.inner_text()
    assert banner.get_attribute("role") == "alert"


def test_crisis_shows_the_emergency_banner(page: object) -> None:
    ask(page, "I want to end my life")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    assert "988" in banner.inner_text()


def test_violence_shows_the_emergency_banner_with_the_hotlines(page: object) -> None:
    ask(page, "my husband hits me and I'm scared to go home")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    text = banner.inner_text()
    assert "911" in text and "1-800-799-7233" in text and "1-800-656-4673" in text


def test_html_and_script_in_a_message_are_shown_as_text(page: object) -> None:
    page.evaluate("window.pwned = false")
    attack = '<img src=x onerror="window.pwned=true"><script>window.pwned=true</script>'
    ask(page, attack)
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent.includes('call')"
    )
    assert page.evaluate("window.pwned") is False
    assert page.locator("deep-chat img[src='x']").count() == 0
    assert "<img src=x" in chat_text(page)


def test_page_is_labelled_and_fits_a_phone(page: object) -> None:
    assert page.locator("deep-chat").get_attribute("aria-label")
    assert page.locator("h1").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in {"A", "DEEP-CHAT", "BUTTON"}


def test_clarify_options_are_buttons_that_send_their_topic(page: object) -> None:
    """The page's handling of `clarify`, with the REST reply stubbed in the browser."""
    import json

    sent: list[dict] = []

    def reply(route: object) -> None:
        body = json.loads(route.request.post_data)
        sent.append(body)
        if len(sent) == 1:
            items = [
                {"recipient_id": body["sender"], "text": "Did you mean one of these?",
                 "buttons": [{"title": "Cost", "payload": "/cost"},
                             {"title": "Insurance", "payload": "/insurance"}]},
                {"recipient_id": body["sender"], "custom": {"kind": "clarify",
                                                            "options": ["cost", "insurance"]}},
            ]  # fmt: skip
        else:
            answer = {"kind": "answer", "topic": "insurance", "sources": []}
            items = [{"recipient_id": body["sender"], "text": "Insurance answer", "custom": answer}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(items))

    page.route("**/webhooks/rest/webhook", reply)
    ask(page, "price or coverage?")
    button = page.locator("deep-chat button.deep-chat-suggestion-button", has_text="Insurance")
    button.wait_for()
    button.click()
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent"
        ".includes('Insurance answer')"
    )
    assert [b["message"] for b in sent] == ["price or coverage?", "/insurance"]
