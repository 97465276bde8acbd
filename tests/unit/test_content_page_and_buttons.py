"""Button titles and the web page's texts live in content/, validated like every other text."""

from __future__ import annotations

from pathlib import Path

from core.content_store import Content
from core.safety.categories import EMERGENCY_PRIORITY
from tests.unit.content_edits import load_error, rewrite

CALLBACK_BUTTONS = """    - title: "Yes, please contact me"
      payload: /affirm
"""


def test_the_callback_offer_s_buttons_come_from_content(content: Content) -> None:
    assert content.buttons("callback_offer") == [
        {"title": "Yes, please contact me", "payload": "/affirm"},
        {"title": "No, thanks", "payload": "/deny"},
    ]
    assert content.buttons("fallback") == []


def test_a_button_without_a_title_names_the_file_the_reply_and_the_button(
    content_copy: Path,
) -> None:
    rewrite(content_copy / "replies.yml", CALLBACK_BUTTONS, "    - payload: /affirm\n")
    error = load_error(content_copy)
    assert error.path.endswith("replies.yml")
    assert error.entry == "callback_offer, button 1"
    assert "missing 'title'" in error.problem
    assert str(error).endswith("replies.yml: callback_offer, button 1: missing 'title': "
                               "the words the patient clicks")  # fmt: skip


def test_an_empty_button_title_is_refused(content_copy: Path) -> None:
    rewrite(content_copy / "replies.yml", '"No, thanks"', '""')
    error = load_error(content_copy)
    assert (error.entry, error.problem) == (
        "callback_offer, button 2",
        "'title' must be non-empty text",
    )


def test_buttons_must_offer_the_payloads_the_dialogue_answers(content_copy: Path) -> None:
    rewrite(content_copy / "replies.yml", "payload: /deny", "payload: /stop")
    error = load_error(content_copy)
    assert error.entry == "callback_offer"
    assert "exactly /affirm, /deny" in error.problem and "/stop" in error.problem


def test_a_reply_that_offers_buttons_cannot_lose_them(content_copy: Path) -> None:
    path = content_copy / "replies.yml"
    text = path.read_text()
    start = text.index("callback_offer:")
    end = text.index("callback_saved:")
    path.write_text(text[:start] + 'callback_offer: "Shall we call you?"\n' + text[end:])
    error = load_error(content_copy)
    assert error.entry == "callback_offer"
    assert "'buttons'" in error.problem and "/affirm" in error.problem


def test_a_reply_without_buttons_stays_plain_text(content_copy: Path) -> None:
    rewrite(
        content_copy / "replies.yml",
        'fallback: "Sorry,',
        'fallback:\n  buttons: []\n  text: "Sorry,',
    )
    error = load_error(content_copy)
    assert (error.entry, error.problem) == ("fallback", "must be text: this reply has no buttons")


def test_the_page_needs_a_banner_for_every_emergency_category(content_copy: Path) -> None:
    path = content_copy / "page.yml"
    text = path.read_text()
    path.write_text(text[: text.index("  violence:")])
    error = load_error(content_copy)
    assert error.path.endswith("page.yml")
    assert error.entry == "emergency_banners"
    assert "no banner for: violence" in error.problem


def test_a_banner_for_an_undeclared_category_is_refused(content_copy: Path) -> None:
    path = content_copy / "page.yml"
    path.write_text(path.read_text() + '  poisoning:\n    title: "T"\n    text: "Call 911."\n')
    error = load_error(content_copy)
    assert (error.entry, error.problem) == (
        "emergency_banners",
        "unknown emergency categories: poisoning",
    )


def test_a_page_text_must_keep_the_placeholder_the_page_fills(content_copy: Path) -> None:
    rewrite(content_copy / "page.yml", "Request {handoff_id}. ", "")
    error = load_error(content_copy)
    assert error.entry == "handoff_banner"
    assert error.problem == "must show {handoff_id}: the page fills it in"


def test_a_page_text_may_not_use_another_text_s_placeholder(content_copy: Path) -> None:
    rewrite(content_copy / "page.yml", "Sorry, something went wrong.", "Sorry: {error}")
    error = load_error(content_copy)
    assert (error.entry, error.problem) == ("request_failed", "unknown placeholders: ['error']")


def test_a_missing_page_file_is_reported(content_copy: Path) -> None:
    (content_copy / "page.yml").unlink()
    error = load_error(content_copy)
    assert error.path.endswith("page.yml") and "missing" in error.problem


def test_page_texts_get_the_clinic_s_details_and_keep_the_page_s_placeholders(
    content: Content,
) -> None:
    texts = content.page_texts()
    phone = content.clinic.phone
    assert phone in texts["unreachable"] and "{" not in texts["unreachable"]
    assert phone in texts["rate_limited"] and "{" not in texts["rate_limited"]
    assert texts["handoff_banner"]["text"].startswith("Request {handoff_id}. ")
    assert phone in texts["handoff_banner"]["text"]
    assert phone in texts["request_refused"] and "{" not in texts["request_refused"]
    assert "{limit}" in texts["message_too_long"]
    assert list(texts["emergency_banners"]) == list(EMERGENCY_PRIORITY)
    assert "988" in texts["emergency_banners"]["crisis"]["text"]
