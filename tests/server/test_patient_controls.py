"""Patients rate answers, are offered a person when stuck, and delete their conversation.

Over REST, against the real Rasa server (SQL tracker store), the real action
server and the real handoff database the tests share.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.content_store import default_store
from core.feedback.store import FeedbackStore
from core.handoffs.store import HandoffStore
from tests.contract import assert_follows_contract, custom_items
from tests.server.conftest import send

pytestmark = pytest.mark.server

# Out of scope for a clinic assistant: each gets the fallback.
OFF_TOPIC = ("what's the weather in Paris tomorrow", "who won the football game last night")


def talk(assistant: str, sender: str, message: str) -> list[dict]:
    reply = send(assistant, sender, message)
    assert_follows_contract(reply, sender)
    return reply


def kinds(reply: list[dict]) -> list[str]:
    return [c["kind"] for c in custom_items(reply)]


def rating_payloads(reply: list[dict]) -> list[list[str]]:
    """The "Did this help?" buttons' payloads, one pair per answer, in order."""
    return [
        [b["payload"] for b in item["buttons"]]
        for item in reply
        if any(b["payload"].startswith("/answer_") for b in item.get("buttons") or [])
    ]


def tracker_rows(tracker_db: Path, sender: str) -> int:
    with sa.create_engine(f"sqlite:///{tracker_db}").connect() as connection:
        return connection.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar()


def is_offer(item: dict) -> bool:
    return item.get("kind") == "confirm" and item.get("about") == "person"


# --- "Did this help?" -------------------------------------------------------------------


def test_each_answer_offers_rating_buttons_and_a_rating_is_stored_without_text(
    assistant: str, handoff_db_url: str
) -> None:
    sender = f"rate-{uuid.uuid4()}"
    reply = talk(assistant, sender, "What are the side effects of ketamine?")
    [[helped, not_helped]] = rating_payloads(reply)
    assert helped == '/answer_helped{"rated_topic": "side_effects"}'
    assert not_helped == '/answer_not_helped{"rated_topic": "side_effects"}'
    prompt = next(item for item in reply if item.get("buttons"))
    assert prompt["text"] == default_store().content.reply("rate_prompt")
    assert [b["title"] for b in prompt["buttons"]] == ["Yes", "No"]

    reply = talk(assistant, sender, helped)
    assert custom_items(reply) == [
        {"kind": "feedback", "rating": "up", "topic": "side_effects", "language": "en"}
    ]
    [stored] = FeedbackStore(handoff_db_url).ratings(sender)
    assert (stored.topic, stored.rating) == ("side_effects", "up")


def test_two_answers_each_get_buttons_and_the_first_pair_rates_the_first_topic(
    assistant: str, handoff_db_url: str
) -> None:
    sender = f"rate-{uuid.uuid4()}"
    reply = talk(assistant, sender, "How much does it cost and does insurance cover it?")
    answers = [c["topic"] for c in custom_items(reply) if c["kind"] == "answer"]
    assert answers == ["cost", "insurance"]
    pairs = rating_payloads(reply)
    assert [pair[0] for pair in pairs] == [
        '/answer_helped{"rated_topic": "cost"}',
        '/answer_helped{"rated_topic": "insurance"}',
    ]
    # Each pair sits under its own answer: after that answer's item, before the next.
    positions = [i for i, item in enumerate(reply) if "buttons" in item or "custom" in item]
    order = [
        reply[i]["custom"].get("topic") if "custom" in reply[i] else "buttons" for i in positions
    ]
    assert order == ["cost", "buttons", "insurance", "buttons"]

    reply = talk(assistant, sender, pairs[0][1])  # No, under the cost answer
    assert custom_items(reply)[0] == {
        "kind": "feedback",
        "rating": "down",
        "topic": "cost",
        "language": "en",
    }
    # A typed rating rates the answer read last: the second.
    reply = talk(assistant, sender, "that answer helped")
    assert custom_items(reply)[0] == {
        "kind": "feedback",
        "rating": "up",
        "topic": "insurance",
        "language": "en",
    }
    ratings = {(r.topic, r.rating) for r in FeedbackStore(handoff_db_url).ratings(sender)}
    assert ratings == {("cost", "down"), ("insurance", "up")}


# --- the offer of a person -------------------------------------------------------------


def test_one_unhelpful_turn_offers_no_person_two_do_and_yes_hands_off(
    assistant: str, handoff_db_url: str
) -> None:
    sender = f"stuck-{uuid.uuid4()}"
    first = talk(assistant, sender, OFF_TOPIC[0])
    assert kinds(first) == ["fallback"] and not any(is_offer(c) for c in custom_items(first))

    second = talk(assistant, sender, OFF_TOPIC[1])
    assert kinds(second) == ["fallback", "confirm"]
    [offer] = [c for c in custom_items(second) if is_offer(c)]
    offered = next(item for item in second if item.get("buttons"))
    assert [b["payload"] for b in offered["buttons"]] == offer["options"] == ["/affirm", "/deny"]

    reply = talk(assistant, sender, "yes")
    [handoff] = [c for c in custom_items(reply) if c["kind"] == "handoff"]
    assert handoff["reason"] == "user_request"
    stored = HandoffStore(handoff_db_url).get(handoff["handoff_id"])
    assert stored.conversation_id == sender and stored.reason == "user_request"


def test_the_offer_is_not_repeated_on_the_next_unhelpful_turn(assistant: str) -> None:
    sender = f"stuck-{uuid.uuid4()}"
    talk(assistant, sender, OFF_TOPIC[0])
    assert "confirm" in kinds(talk(assistant, sender, OFF_TOPIC[1]))
    # The patient ignores the offer and goes on: not asked again on every turn.
    assert kinds(talk(assistant, sender, "what's a good pizza place near me")) == ["fallback"]


def test_thumbs_down_after_a_fallback_offers_a_person(assistant: str) -> None:
    sender = f"stuck-{uuid.uuid4()}"
    talk(assistant, sender, OFF_TOPIC[0])
    reply = talk(assistant, sender, "How long does a session take?")
    [[_, not_helped]] = rating_payloads(reply)
    # Not after the answer alone: the fallback and the answer rated down are two turns.
    reply = talk(assistant, sender, not_helped)
    assert kinds(reply) == ["feedback", "confirm"]


def test_an_emergency_after_a_fallback_gets_the_emergency_reply_and_no_offer(
    assistant: str,
) -> None:
    sender = f"stuck-{uuid.uuid4()}"
    talk(assistant, sender, OFF_TOPIC[0])
    reply = talk(assistant, sender, "I want to end my life")
    assert kinds(reply) == ["emergency"]


# --- "delete my conversation" ------------------------------------------------------------


def test_no_to_delete_my_conversation_keeps_everything(assistant: str, tracker_db: Path) -> None:
    sender = f"forget-{uuid.uuid4()}"
    talk(assistant, sender, "What is ketamine?")
    reply = talk(assistant, sender, "delete my conversation")
    [confirm] = custom_items(reply)
    assert confirm == {
        "kind": "confirm",
        "about": "forget_conversation",
        "options": ["/affirm", "/deny"],
        "language": "en",
    }
    before = tracker_rows(tracker_db, sender)
    reply = talk(assistant, sender, "/deny")
    assert kinds(reply) == ["smalltalk"]
    assert tracker_rows(tracker_db, sender) > before


def test_yes_deletes_the_conversation_with_this_turn_handoffs_and_ratings(
    assistant: str, tracker_db: Path, handoff_db_url: str
) -> None:
    sender = f"forget-{uuid.uuid4()}"
    reply = talk(assistant, sender, "What is ketamine?")
    talk(assistant, sender, rating_payloads(reply)[0][0])
    handoff = custom_items(talk(assistant, sender, "can I talk to a real person"))
    assert any(c["kind"] == "handoff" for c in handoff)
    talk(assistant, sender, "no thanks")  # declines the callback
    assert tracker_rows(tracker_db, sender) > 0
    assert FeedbackStore(handoff_db_url).ratings(sender)

    assert "confirm" in kinds(talk(assistant, sender, "forget me"))
    reply = talk(assistant, sender, "yes")

    texts = [item["text"] for item in reply if item.get("text")]
    assert texts[0] == default_store().content.reply("forget_done")
    assert custom_items(reply) == [{"kind": "smalltalk", "act": "forgotten", "language": "en"}]
    # Everything, this very turn included (Rasa writes it after the action ran).
    assert tracker_rows(tracker_db, sender) == 0
    assert FeedbackStore(handoff_db_url).ratings(sender) == []
    assert all(h.conversation_id != sender for h in HandoffStore(handoff_db_url).list(None))
    # The next message starts a new conversation: the introduction again.
    reply = talk(assistant, sender, "hello")
    assert reply[0]["text"] == default_store().content.reply("intro")
    assert tracker_rows(tracker_db, sender) > 0


def test_a_request_already_sent_to_staff_is_named_as_kept(
    assistant: str, handoff_db_url: str
) -> None:
    """The staff webhook has the request: deleting here cannot delete the clinic's copy."""
    import time

    from core.privacy import sent_to_staff

    sender = f"forget-{uuid.uuid4()}"
    reply = talk(assistant, sender, "I'd like to speak to a human please")
    [handoff] = [c for c in custom_items(reply) if c["kind"] == "handoff"]
    deadline = time.monotonic() + 30
    while handoff["handoff_id"] not in sent_to_staff(HandoffStore(handoff_db_url), sender):
        assert time.monotonic() < deadline, "the staff webhook never got the request"
        time.sleep(0.5)
    talk(assistant, sender, "no thanks")
    talk(assistant, sender, "delete my data")
    reply = talk(assistant, sender, "yes")
    texts = [item["text"] for item in reply if item.get("text")]
    assert default_store().content.reply("forget_kept_sent") in texts


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("that didn't help, I just want to end my life", "emergency"),
        ("that answer didn't help, I've got chest pain and can't breathe", "emergency"),
        ("that didn't answer my question, I have schizophrenia, can I still do it?", "handoff"),
        ("delete my conversation, I took all my pills an hour ago", "emergency"),
    ],
)
def test_safety_wins_over_a_rating_or_a_deletion_in_the_same_message(
    assistant: str, message: str, expected: str
) -> None:
    sender = f"safety-{uuid.uuid4()}"
    talk(assistant, sender, "What is ketamine?")
    reply = talk(assistant, sender, message)
    assert kinds(reply)[0] == expected, reply
