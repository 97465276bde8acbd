"""A Spanish-speaking patient end to end over REST: every reply in Spanish, from the content.

The real Rasa server and action server; the texts are compared with the
Spanish content (content/es/) and the domain's Spanish variations, so a
reply that falls back to English fails here. The Spanish emergencies and
their switch back to English are in test_rest_safety.py.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from core.content_store import default_store
from core.handoffs.store import HandoffStore
from tests.contract import assert_follows_contract
from tests.server.conftest import send

pytestmark = pytest.mark.server

SPANISH = "es"


def texts(reply: list[dict]) -> list[str]:
    return [item["text"] for item in reply if item.get("text")]


def new_conversation() -> str:
    return f"es-{uuid.uuid4()}"


def test_a_new_spanish_conversation_starts_with_the_spanish_intro(assistant: str) -> None:
    sender = new_conversation()
    reply = send(assistant, sender, "hola, buenas tardes")
    assert_follows_contract(reply, sender, language=SPANISH)
    assert texts(reply)[0] == default_store().content.reply("intro", SPANISH)


def test_a_spanish_question_gets_the_spanish_answer_and_rating_buttons(assistant: str) -> None:
    sender = new_conversation()
    reply = send(assistant, sender, "cuanto cuesta el tratamiento con ketamina?")
    [answer] = [
        c for c in assert_follows_contract(reply, sender, language=SPANISH) if c["kind"] == "answer"
    ]
    content = default_store().content
    spanish = content.render("cost", SPANISH)
    assert answer["topic"] == "cost" and answer["language"] == SPANISH
    assert [s["id"] for s in answer["sources"]] == [s.id for s in spanish.sources]
    shown = texts(reply)
    assert all(message in shown for message in spanish.messages), shown
    assert not any(message in shown for message in content.render("cost").messages)
    [rating] = [item for item in reply if item.get("buttons")]
    assert rating["text"] == content.reply("rate_prompt", SPANISH)
    assert [b["title"] for b in rating["buttons"]] == [
        b["title"] for b in content.buttons("rate_prompt", SPANISH)
    ]


def test_an_off_topic_spanish_message_gets_the_spanish_fallback(assistant: str) -> None:
    sender = new_conversation()
    reply = send(assistant, sender, "me puedes recomendar una receta de pozole para el domingo")
    customs = assert_follows_contract(reply, sender, language=SPANISH)
    assert [c["kind"] for c in customs] == ["fallback"]
    assert default_store().content.reply("fallback", SPANISH) in texts(reply)


def test_a_spanish_disclosure_goes_through_the_callback_form_in_spanish(
    assistant: str, handoff_db_url: str
) -> None:
    content = default_store().content
    sender = new_conversation()
    first = send(assistant, sender, "tengo glaucoma desde hace años, todavia puedo recibirla?")
    [handoff] = [
        c
        for c in assert_follows_contract(first, sender, language=SPANISH)
        if c["kind"] == "handoff"
    ]
    assert handoff["conditions"] == ["eye_pressure"]
    shown = texts(first)[1:]  # after the intro of a new conversation
    assert "glaucoma" in shown[0] and "Gracias" in shown[0], shown  # the domain's Spanish
    assert content.reply("handoff_created", SPANISH) in shown
    assert content.reply("callback_offer", SPANISH) in shown

    steps = [
        ("si por favor", "callback_name"),
        ("Ana", "callback_contact"),
        ("555", "callback_contact"),  # not a phone number: asked again, in Spanish
        ("512-555-0123", "callback_time"),
    ]
    for said, asked in steps:
        reply = send(assistant, sender, said)
        assert {"kind": "ask", "slot": asked, "language": SPANISH} in assert_follows_contract(
            reply, sender, language=SPANISH
        )
        assert content.reply(f"ask_{asked}", SPANISH) in texts(reply)
        if said == "555":
            assert content.reply("invalid_contact", SPANISH) in texts(reply)
    done = send(assistant, sender, "entre semana en la mañana")
    assert any(
        c["kind"] == "handoff" for c in assert_follows_contract(done, sender, language=SPANISH)
    )
    assert content.reply("callback_saved", SPANISH) in texts(done)
    stored = HandoffStore(handoff_db_url).get(handoff["handoff_id"])
    assert stored.language == SPANISH
    assert (stored.contact_name, stored.contact_phone) == ("Ana", "(512) 555-0123")


def test_the_conversation_switches_language_with_the_patient(assistant: str) -> None:
    sender = new_conversation()
    spanish = send(assistant, sender, "cuanto dura cada sesion de ketamina?")
    assert (
        assert_follows_contract(spanish, sender, language=SPANISH)[0]["topic"] == "session_length"
    )
    english = send(assistant, sender, "does insurance cover ketamine infusions?")
    [answer] = [
        c for c in assert_follows_contract(english, sender, language="en") if c["kind"] == "answer"
    ]
    assert answer["topic"] == "insurance"
    assert default_store().content.render("insurance").messages[0] in texts(english)
    again = send(assistant, sender, "y cuales son los efectos secundarios mas comunes?")
    assert assert_follows_contract(again, sender, language=SPANISH)[0]["topic"] == "side_effects"


def test_a_short_reply_keeps_the_conversation_s_language(assistant: str) -> None:
    sender = new_conversation()
    send(assistant, sender, "que es la ketamina y para que sirve?")
    reply = send(assistant, sender, "ok")
    assert_follows_contract(reply, sender, language=SPANISH)


def test_a_rest_client_may_ask_for_spanish_answers(assistant: str) -> None:
    sender = new_conversation()
    body = {"sender": sender, "message": "how much does it cost", "metadata": {"language": "es"}}
    reply = requests.post(assistant, json=body, timeout=30).json()
    [answer] = [
        c for c in assert_follows_contract(reply, sender, language=SPANISH) if c["kind"] == "answer"
    ]
    assert answer["topic"] == "cost"
    assert default_store().content.render("cost", SPANISH).messages[0] in texts(reply)
