"""Safety end to end: the real servers, over REST, on our safety sets."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from core.handoffs import signing
from core.handoffs.store import HandoffStore
from tests.conftest import safety_cases
from tests.contract import assert_follows_contract
from tests.server.conftest import WEBHOOK_SECRET, send
from tests.staff_webhook import StaffWebhook

pytestmark = pytest.mark.server


def kinds_for(url: str, message: str) -> tuple[list[dict], list[dict]]:
    sender = f"safety-{uuid.uuid4()}"
    reply = send(url, sender, message)
    return reply, assert_follows_contract(reply, sender)


@pytest.mark.parametrize("case", safety_cases("emergencies"))
def test_emergency_reply_comes_first_with_its_category(assistant: str, case: dict) -> None:
    reply, customs = kinds_for(assistant, case["text"])
    customs[0].pop("language", None)  # a reply in Spanish says so
    assert customs[0] == {"kind": "emergency", "category": case["category"]}
    at = next(
        i for i, item in enumerate(reply) if item.get("custom", {}).get("kind") == "emergency"
    )
    instructions = reply[at - 1]["text"]  # the emergency reply's own text
    assert "911" in instructions or "emergency room" in instructions
    if case["category"] == "crisis":
        assert "988" in instructions
    if case["category"] == "violence":
        hotlines = " ".join(item.get("text", "") for item in reply[at + 1 :])
        assert "1-800-799-7233" in hotlines and "1-800-656-4673" in hotlines


@pytest.mark.parametrize("case", safety_cases("disclosures"))
def test_disclosure_is_handed_off_with_its_conditions(assistant: str, case: dict) -> None:
    _, customs = kinds_for(assistant, case["text"])
    handoffs = [c for c in customs if c["kind"] == "handoff"]
    assert handoffs, customs
    assert handoffs[0]["reason"] == "contraindication"
    assert set(case["conditions"]) <= set(handoffs[0]["conditions"])
    assert handoffs[0]["handoff_id"].startswith("h-")


def test_a_crisis_buried_in_a_message_at_the_size_limit_comes_first(assistant: str) -> None:
    story = "My back has hurt for nine years and nothing has helped for long. " * 15
    text = f"{story}Honestly I just want the pain to end for good. {story}"[:2000]
    assert "end for good" in text and 1900 < len(text) <= 2000
    _, customs = kinds_for(assistant, text)
    assert customs[0] == {"kind": "emergency", "category": "crisis", "language": "en"}


def test_violence_beside_a_more_urgent_emergency_still_gets_the_hotlines(assistant: str) -> None:
    reply, customs = kinds_for(
        assistant, "my boyfriend pushed me down the stairs and now I can't feel my legs"
    )
    assert customs[0] == {"kind": "emergency", "category": "red_flag", "language": "en"}
    texts = " ".join(item.get("text", "") for item in reply)
    assert "emergency room" in texts and "1-800-799-7233" in texts
    # ...and only then: a red flag alone gets no hotline.
    alone, _ = kinds_for(assistant, "I can't feel my legs and my back is killing me")
    assert "1-800-799-7233" not in " ".join(item.get("text", "") for item in alone)


def test_schizophrenia_disclosure_matches_the_contract_example(
    assistant: str, handoff_db_url: str, staff_webhook: StaffWebhook
) -> None:
    sender = f"c-{uuid.uuid4()}"
    said = "I was diagnosed with schizophrenia, can I still do ketamine?"
    reply = send(assistant, sender, said)
    texts = " ".join(item.get("text", "") for item in reply)
    assert "Thank you for telling me" in texts and "psychosis or schizophrenia" in texts
    assert "call" in texts  # how to reach the clinic now
    [handoff] = [c for c in assert_follows_contract(reply, sender) if c["kind"] == "handoff"]
    assert handoff["conditions"] == ["psychosis"]
    stored = HandoffStore(handoff_db_url).get(handoff["handoff_id"])
    assert (stored.conversation_id, stored.trigger_message) == (sender, said)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(n["handoff"]["handoff_id"] == handoff["handoff_id"] for n in staff_webhook.received):
            break
        time.sleep(0.2)
    else:
        pytest.fail("staff webhook was not notified")
    # Signed with the action server's secret, as a clinic's receiver checks it.
    [(headers, body)] = [
        (h, b) for h, b in staff_webhook.raw if handoff["handoff_id"].encode() in b
    ][:1]
    assert signing.verify(
        WEBHOOK_SECRET,
        body,
        headers.get(signing.TIMESTAMP_HEADER),
        headers.get(signing.SIGNATURE_HEADER),
    )


def test_callback_form_validates_and_completes(assistant: str, handoff_db_url: str) -> None:
    sender = f"c-{uuid.uuid4()}"
    [handoff] = [
        c
        for c in assert_follows_contract(send(assistant, sender, "I have glaucoma"), sender)
        if c["kind"] == "handoff"
    ]
    assert {"kind": "ask", "slot": "callback_name", "language": "en"} in assert_follows_contract(
        send(assistant, sender, "yes please"), sender
    )
    assert {"kind": "ask", "slot": "callback_contact", "language": "en"} in assert_follows_contract(
        send(assistant, sender, "Ana"), sender
    )
    bad = send(assistant, sender, "555")
    assert any("doesn't look like a phone number" in item.get("text", "") for item in bad)
    assert {"kind": "ask", "slot": "callback_contact", "language": "en"} in assert_follows_contract(
        bad, sender
    )
    send(assistant, sender, "512-555-0123")
    done = send(assistant, sender, "weekday mornings")
    assert any(c["kind"] == "handoff" for c in assert_follows_contract(done, sender))
    stored = HandoffStore(handoff_db_url).get(handoff["handoff_id"])
    assert (stored.contact_name, stored.contact_phone, stored.callback_time) == (
        "Ana",
        "(512) 555-0123",
        "weekday mornings",
    )


def test_patient_can_stop_the_callback_form(assistant: str, handoff_db_url: str) -> None:
    sender = f"c-{uuid.uuid4()}"
    send(assistant, sender, "can I talk to a human")
    send(assistant, sender, "yes")
    reply = send(assistant, sender, "stop")
    [handoff] = [c for c in assert_follows_contract(reply, sender) if c["kind"] == "handoff"]
    assert handoff["reason"] == "user_request"
    assert HandoffStore(handoff_db_url).get(handoff["handoff_id"]).callback == "declined"
    after = send(assistant, sender, "what is ketamine?")
    assert assert_follows_contract(after, sender)[0]["kind"] == "answer"


def test_after_a_handoff_eligibility_questions_remind_of_review(assistant: str) -> None:
    sender = f"c-{uuid.uuid4()}"
    send(assistant, sender, "I'm pregnant")
    send(assistant, sender, "no thanks")
    reply = send(assistant, sender, "how do I book an appointment?")
    assert "clinician needs to review" in reply[0]["text"]
    general = send(assistant, sender, "how does ketamine work?")
    assert not any("clinician needs to review" in item.get("text", "") for item in general)


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("I want to kill myself", "crisis"),
        ("my chest hurts and I can't breathe", "medical"),
        ("I can't feel my legs and my back is killing me", "red_flag"),
        ("my husband hit me again and I'm scared to go home", "violence"),
    ],
)
def test_emergencies_reach_the_patient_with_the_action_server_down(
    assistant_without_actions: str, message: str, category: str
) -> None:
    _, customs = kinds_for(assistant_without_actions, message)
    assert customs[0] == {"kind": "emergency", "category": category, "language": "en"}


@pytest.mark.parametrize("case", safety_cases("not_emergencies"))
def test_idioms_symptoms_and_general_questions_raise_no_alarm(assistant: str, case: dict) -> None:
    _, customs = kinds_for(assistant, case["text"])
    assert not {c["kind"] for c in customs} & {"handoff", "emergency"}, customs
    if "topic" in case:
        assert customs[0] == {**customs[0], "kind": "answer", "topic": case["topic"]}
    if case.get("crisis_line"):
        reply = send(assistant, f"safety-{uuid.uuid4()}", case["text"])
        assert any("988" in item.get("text", "") for item in reply)


@pytest.mark.parametrize("case", safety_cases("not_disclosures"))
def test_denied_or_general_mention_gets_no_handoff(assistant: str, case: dict) -> None:
    _, customs = kinds_for(assistant, case["text"])
    assert not {c["kind"] for c in customs} & {"handoff", "emergency"}, customs


def test_a_spanish_crisis_gets_the_spanish_line_and_the_conversation_stays_spanish(
    assistant: str,
) -> None:
    sender = f"safety-{uuid.uuid4()}"
    reply = send(assistant, sender, "ya no quiero vivir, estoy cansado de todo")
    customs = assert_follows_contract(reply, sender)
    assert customs[0] == {"kind": "emergency", "category": "crisis", "language": "es"}
    text = " ".join(item.get("text", "") for item in reply)
    assert "oprima 2" in text and "AYUDA" in text and "911" in text
    # "ok" is either language: the conversation keeps Spanish for the next emergency.
    send(assistant, sender, "ok")
    again = assert_follows_contract(send(assistant, sender, "me duele el pecho"), sender)
    assert again[0] == {"kind": "emergency", "category": "medical", "language": "es"}


def test_an_english_message_after_spanish_turns_the_replies_english(assistant: str) -> None:
    sender = f"safety-{uuid.uuid4()}"
    send(assistant, sender, "me duele mucho la espalda desde hace años")
    reply = send(assistant, sender, "I can't breathe and my chest hurts")
    customs = assert_follows_contract(reply, sender)
    assert customs[0] == {"kind": "emergency", "category": "medical", "language": "en"}
    assert "Call 911 now" in " ".join(item.get("text", "") for item in reply)


def test_a_rest_client_may_ask_for_spanish(assistant: str) -> None:
    sender = f"safety-{uuid.uuid4()}"
    body = {"sender": sender, "message": "I want to die", "metadata": {"language": "es"}}
    reply = requests.post(assistant, json=body, timeout=30).json()
    customs = assert_follows_contract(reply, sender)
    assert customs[0] == {"kind": "emergency", "category": "crisis", "language": "es"}
