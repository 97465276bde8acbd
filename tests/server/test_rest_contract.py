"""The real Rasa and action servers, over the REST channel, against the contract."""

from __future__ import annotations

import uuid

import pytest

from tests.contract import assert_follows_contract
from tests.server.conftest import send

pytestmark = pytest.mark.server


def new_sender() -> str:
    return f"test-{uuid.uuid4()}"


def test_first_reply_introduces_assistant_then_answers_with_sources(assistant: str) -> None:
    sender = new_sender()
    reply = send(assistant, sender, "What is ketamine?")
    assert "not medical advice" in reply[0]["text"] and "911" in reply[0]["text"]
    [custom] = assert_follows_contract(reply, sender)
    assert custom["kind"] == "answer" and custom["topic"] == "ketamine_what_is"
    assert {"seed-000", "seed-001"} <= {s["id"] for s in custom["sources"]}

    later = send(assistant, sender, "is it addictive?")
    assert not any("not medical advice" in item.get("text", "") for item in later)
    [custom] = assert_follows_contract(later, sender)
    assert custom["topic"] == "addiction_risk"


def test_answer_sources_carry_addresses_the_patient_can_open(assistant: str) -> None:
    from core.content_store import default_store

    sender = new_sender()
    [custom] = assert_follows_contract(send(assistant, sender, "What is ketamine?"), sender)
    shipped = default_store().content.sources
    assert custom["sources"] == [
        {"id": s["id"], "title": shipped[s["id"]].title, "url": shipped[s["id"]].url}
        for s in custom["sources"]
    ]
    urls = {s["id"]: s["url"] for s in custom["sources"]}
    assert urls["seed-000"] is None and urls["seed-001"] is None  # supplied by the clinic
    assert urls["ketamine-history"] == "https://doi.org/10.1176/appi.books.9781615371624.as21"


def test_side_effects_answer_never_reassures(assistant: str) -> None:
    sender = new_sender()
    reply = send(assistant, sender, "what are the side effects?")
    [custom] = assert_follows_contract(reply, sender)
    assert custom["topic"] == "side_effects"
    text = " ".join(item.get("text", "") for item in reply).lower()
    assert "hallucinations" in text and "no side effects" not in text


@pytest.mark.parametrize(
    ("message", "act"),
    [
        ("hello", "greet"),
        ("thanks!", "thank"),
        ("bye", "goodbye"),
        ("are you a bot?", "bot_challenge"),
    ],
)
def test_conversation_turns_carry_smalltalk(assistant: str, message: str, act: str) -> None:
    sender = new_sender()
    customs = assert_follows_contract(send(assistant, sender, message), sender)
    assert {"kind": "smalltalk", "act": act, "language": "en"} in customs


def test_bot_question_is_answered_honestly(assistant: str) -> None:
    sender = new_sender()
    reply = send(assistant, sender, "am I talking to a real person?")
    assert any("not a person" in item.get("text", "") for item in reply)


@pytest.mark.parametrize("message", ["what's the weather in Austin tomorrow?", "asdf qwer zxcv"])
def test_out_of_scope_gets_fallback_with_clinic_contact(assistant: str, message: str) -> None:
    sender = new_sender()
    reply = send(assistant, sender, message)
    assert {"kind": "fallback", "language": "en"} in assert_follows_contract(reply, sender)
    assert any("call" in item.get("text", "") for item in reply)


def test_clarify_button_payload_answers_that_topic(assistant: str) -> None:
    sender = new_sender()
    [custom] = assert_follows_contract(send(assistant, sender, "/relief_duration"), sender)
    assert (custom["kind"], custom["topic"]) == ("answer", "relief_duration")


def test_clinic_answer_carries_clinic_profile(assistant: str) -> None:
    sender = new_sender()
    reply = send(assistant, sender, "do you take my insurance?")
    text = " ".join(item.get("text", "") for item in reply)
    assert "Cigna" in text and "{" not in text
