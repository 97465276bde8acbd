"""Rating answers, the offer of a person and "delete my conversation", on real Trackers.

With real (temporary) handoff and ratings stores and spool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

import actions.feedback as feedback_actions
import actions.handoff as handoff_actions
from actions.answers import ActionAnswerTopic, ActionClarify, ActionFallback
from actions.feedback import ActionRateAnswer
from actions.privacy import ActionForgetConversation
from core.content_store import Content
from core.feedback.store import FeedbackStore
from core.handoffs import spool
from core.handoffs.store import HandoffStore
from core.privacy import FORGET_SLOT
from tests.unit.patient_turns import CONVERSATION_ID, customs, patient_turn, run

OFFER = {"event": "followup", "timestamp": None, "name": "utter_offer_person"}


@pytest.fixture(autouse=True)
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[HandoffStore, FeedbackStore]:
    handoffs = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}")
    ratings = FeedbackStore(engine=handoffs.engine)
    monkeypatch.setattr(handoff_actions, "_store", handoffs)
    monkeypatch.setattr(feedback_actions, "_store", ratings)
    monkeypatch.setenv("HANDOFF_SPOOL", str(tmp_path / "spool.jsonl"))
    return handoffs, ratings


def with_history(tracker: Tracker, *turns: list[dict[str, Any]]) -> Tracker:
    """The tracker with earlier turns before its latest message: each turn the items it got."""
    earlier: list[dict[str, Any]] = []
    for items in turns:
        earlier.append({"event": "user", "text": "...", "parse_data": {}})
        earlier += [{"event": "bot", "text": None, "data": {"custom": c}} for c in items]
    tracker.events = earlier + tracker.events
    return tracker


def rating_turn(intent: str, topic: str | None = None, last_topic: str | None = None) -> Tracker:
    """A "Did this help?" button (its payload names the topic) or a typed rating."""
    text = f"/{intent}" + (json.dumps({"rated_topic": topic}) if topic else "")
    tracker = patient_turn(text, intent, slots={"last_topic": last_topic})
    if topic:
        tracker.latest_message["entities"] = [{"entity": "rated_topic", "value": topic}]
    return tracker


FALLBACK = {"kind": "fallback", "language": "en"}


# --- "Did this help?" under each answer ------------------------------------------------


async def test_each_answer_offers_did_this_help_buttons_that_name_its_topic(
    content: Content,
) -> None:
    messages, _ = await run(ActionAnswerTopic(), patient_turn("is it addictive?", "addiction_risk"))
    [prompt] = [m for m in messages if m.get("buttons")]
    assert prompt["text"] == content.reply("rate_prompt")
    assert prompt["buttons"] == [
        {"title": b["title"], "payload": b["payload"] + '{"rated_topic": "addiction_risk"}'}
        for b in content.buttons("rate_prompt")
    ]
    assert [b["payload"].split("{")[0] for b in prompt["buttons"]] == [
        "/answer_helped",
        "/answer_not_helped",
    ]
    # The buttons come after the answer's item, so a page shows them under it.
    assert messages.index(prompt) > max(i for i, m in enumerate(messages) if m.get("custom"))


async def test_two_answers_each_get_buttons_that_rate_their_own_topic() -> None:
    tracker = patient_turn(
        "how much is it and does insurance pay?",
        "cost",
        reading={"topics": ["cost", "insurance"], "how": "parts"},
    )
    messages, _ = await run(ActionAnswerTopic(), tracker)
    order = [
        m["custom"]["topic"] if m.get("custom") else m["buttons"][0]["payload"]
        for m in messages
        if m.get("custom") or m.get("buttons")
    ]
    assert order == [
        "cost",
        '/answer_helped{"rated_topic": "cost"}',
        "insurance",
        '/answer_helped{"rated_topic": "insurance"}',
    ]


async def test_a_pressed_rating_is_stored_with_the_button_s_topic_and_acknowledged(
    stores: tuple, content: Content
) -> None:
    _, ratings = stores
    messages, events = await run(
        ActionRateAnswer(), rating_turn("answer_helped", "cost", last_topic="insurance")
    )
    assert customs(messages) == [
        {"kind": "feedback", "rating": "up", "topic": "cost", "language": "en"}
    ]
    assert messages[0]["text"] == content.reply("rated_up")
    [stored] = ratings.ratings()
    assert (stored.conversation_id, stored.topic, stored.rating) == (CONVERSATION_ID, "cost", "up")
    assert events == []


async def test_a_typed_rating_rates_the_last_answer_the_second_of_two(stores: tuple) -> None:
    _, ratings = stores
    # After "how much is it and does insurance pay?", last_topic is the second answer's.
    messages, _ = await run(
        ActionRateAnswer(), rating_turn("answer_not_helped", last_topic="insurance")
    )
    assert customs(messages) == [
        {"kind": "feedback", "rating": "down", "topic": "insurance", "language": "en"}
    ]
    assert [(r.topic, r.rating) for r in ratings.ratings()] == [("insurance", "down")]


async def test_a_rating_with_nothing_to_rate_stores_nothing(
    stores: tuple, content: Content
) -> None:
    _, ratings = stores
    messages, _ = await run(ActionRateAnswer(), rating_turn("answer_helped", "not-a-topic"))
    assert customs(messages) == [{"kind": "feedback", "rating": "up", "language": "en"}]
    assert messages[0]["text"] == content.reply("rated_nothing")
    assert ratings.ratings() == []


async def test_a_rating_is_acknowledged_while_its_database_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        feedback_actions, "_store", FeedbackStore("postgresql://nobody@127.0.0.1:9/x")
    )
    messages, _ = await run(ActionRateAnswer(), rating_turn("answer_helped", "cost"))
    assert customs(messages) == [
        {"kind": "feedback", "rating": "up", "topic": "cost", "language": "en"}
    ]


# --- the offer of a person after two unhelpful turns --------------------------------


async def test_one_fallback_offers_no_person() -> None:
    _, events = await run(ActionFallback(), patient_turn("what's the weather", "out_of_scope"))
    assert OFFER not in events


async def test_a_second_fallback_in_a_row_offers_a_person() -> None:
    tracker = with_history(patient_turn("what's the weather", "out_of_scope"), [FALLBACK])
    messages, events = await run(ActionFallback(), tracker)
    assert customs(messages) == [FALLBACK] and events == [OFFER]


async def test_a_core_fallback_forgets_its_turn_and_still_offers_a_person() -> None:
    tracker = with_history(patient_turn("hmm hmm", "greet"), [FALLBACK])
    _, events = await run(ActionFallback(), tracker)
    assert [e["event"] for e in events] == ["rewind", "followup"]


async def test_a_thumbs_down_after_a_fallback_offers_a_person() -> None:
    answer = {"kind": "answer", "topic": "cost", "sources": []}
    tracker = with_history(rating_turn("answer_not_helped", "cost"), [FALLBACK], [answer])
    _, events = await run(ActionRateAnswer(), tracker)
    assert events == [OFFER]


async def test_a_thumbs_up_never_offers_a_person() -> None:
    tracker = with_history(rating_turn("answer_helped", "cost"), [FALLBACK], [FALLBACK])
    _, events = await run(ActionRateAnswer(), tracker)
    assert events == []


async def test_a_clarify_not_taken_then_no_topic_offers_a_person() -> None:
    clarify = {"kind": "clarify", "options": ["cost", "insurance"]}
    ranking = [("nlu_fallback", 0.5), ("out_of_scope", 0.3), ("cost", 0.2)]
    tracker = with_history(patient_turn("blorp", "nlu_fallback", ranking=ranking), [clarify])
    _, events = await run(ActionClarify(), tracker)
    assert events == [OFFER]


async def test_no_offer_when_the_conversation_already_has_a_handoff() -> None:
    tracker = with_history(
        patient_turn("what's the weather", "out_of_scope", slots={"handoff_id": "h-000001"}),
        [FALLBACK],
    )
    _, events = await run(ActionFallback(), tracker)
    assert events == []


# --- "delete my conversation" ---------------------------------------------------------


async def test_forgetting_deletes_handoffs_ratings_and_spool_and_asks_the_tracker_store(
    stores: tuple, tmp_path: Path, content: Content
) -> None:
    handoffs, ratings = stores
    handoffs.create(CONVERSATION_ID, "user_request", "a person please", "m-1")
    handoffs.create("c-other", "user_request", "a person please", "m-1")
    ratings.rate(CONVERSATION_ID, "cost", "up")
    ratings.rate("c-other", "cost", "up")
    spool.spool({"conversation_id": CONVERSATION_ID, "reason": "user_request"})

    messages, events = await run(ActionForgetConversation(), patient_turn("yes", "affirm"))

    assert [m["text"] for m in messages if m.get("text")] == [content.reply("forget_done")]
    assert customs(messages) == [{"kind": "smalltalk", "act": "forgotten", "language": "en"}]
    assert events == [{"event": "slot", "timestamp": None, "name": FORGET_SLOT, "value": True}]
    assert [h.conversation_id for h in handoffs.list(status=None)] == ["c-other"]
    assert [r.conversation_id for r in ratings.ratings()] == ["c-other"]
    assert spool.pending(tmp_path / "spool.jsonl") == []


async def test_forgetting_says_a_request_already_sent_to_staff_is_kept_there(
    stores: tuple, content: Content
) -> None:
    handoffs, _ = stores
    handoffs.create(CONVERSATION_ID, "user_request", "a person please", "m-1")
    [notification] = handoffs.claim_due()
    handoffs.mark_delivered(notification.id)

    messages, _ = await run(ActionForgetConversation(), patient_turn("yes", "affirm"))

    texts = [m["text"] for m in messages if m.get("text")]
    assert texts == [content.reply("forget_done"), content.reply("forget_kept_sent")]
    assert handoffs.list(status=None) == []


async def test_forgetting_while_the_handoff_database_is_down_still_deletes_the_conversation(
    monkeypatch: pytest.MonkeyPatch, content: Content
) -> None:
    monkeypatch.setattr(
        handoff_actions, "_store", HandoffStore("postgresql://nobody@127.0.0.1:9/x")
    )
    messages, events = await run(ActionForgetConversation(), patient_turn("yes", "affirm"))
    assert messages[0]["text"] == content.reply("forget_failed")
    assert events[0]["name"] == FORGET_SLOT and events[0]["value"] is True
