"""The actions, run on real rasa-sdk Tracker objects."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerTopic, ActionClarify, ActionFallback
from core.content_store import Content

DOMAIN: dict[str, Any] = {"session_config": {"carry_over_slots_to_new_session": True}}


def tracker_for(text: str, intent: str, ranking: list[tuple[str, float]] | None = None) -> Tracker:
    ranking = ranking or [(intent, 0.9)]
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }
    return Tracker(
        sender_id="test-conversation",
        slots={},
        latest_message=message,
        events=[{"event": "user", "text": text, "parse_data": message}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(action: Any, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def customs(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if m.get("custom")]


async def test_topic_question_gets_the_curated_answer_with_sources(content: Content) -> None:
    messages, events = await run(
        ActionAnswerTopic(), tracker_for("is it addictive?", "addiction_risk")
    )
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts == list(content.render("addiction_risk").messages)
    [item] = customs(messages)
    assert item["kind"] == "answer" and item["topic"] == "addiction_risk"
    assert {"id": "seed-000", "title": content.sources["seed-000"].title} in item["sources"]
    assert item["reviewed"] == "2026-11-21"
    assert events == []


async def test_clinic_answer_reaches_patient_with_profile_filled(content: Content) -> None:
    messages, _ = await run(ActionAnswerTopic(), tracker_for("how do I book", "booking"))
    text = " ".join(m["text"] for m in messages if m.get("text"))
    assert content.clinic.booking_url in text and "{" not in text


async def test_unknown_intent_falls_back_instead_of_staying_silent() -> None:
    messages, _ = await run(ActionAnswerTopic(), tracker_for("hmm", "greet"))
    assert customs(messages) == [{"kind": "fallback"}]
    assert any("call" in m.get("text", "") for m in messages)


async def test_clarify_offers_close_topics_as_buttons(content: Content) -> None:
    ranking = [("nlu_fallback", 0.5), ("cost", 0.44), ("insurance", 0.4), ("greet", 0.01)]
    messages, _ = await run(
        ActionClarify(), tracker_for("is it covered price", "nlu_fallback", ranking)
    )
    [item] = customs(messages)
    assert item == {"kind": "clarify", "options": ["cost", "insurance"]}
    [with_buttons] = [m for m in messages if m.get("buttons")]
    assert with_buttons["buttons"] == [
        {"title": content.answers["cost"].title, "payload": "/cost"},
        {"title": content.answers["insurance"].title, "payload": "/insurance"},
    ]


async def test_clarify_without_likely_topics_falls_back() -> None:
    ranking = [("nlu_fallback", 0.5), ("out_of_scope", 0.3), ("cost", 0.2)]
    messages, _ = await run(ActionClarify(), tracker_for("blorp", "nlu_fallback", ranking))
    assert customs(messages) == [{"kind": "fallback"}]


async def test_fallback_says_what_it_can_do_and_how_to_reach_the_clinic(content: Content) -> None:
    messages, _ = await run(ActionFallback(), tracker_for("weather?", "out_of_scope"))
    text = messages[0]["text"]
    assert "ketamine" in text and content.clinic.phone in text
    assert customs(messages) == [{"kind": "fallback"}]


async def test_out_of_scope_fallback_keeps_the_turn() -> None:
    _, events = await run(ActionFallback(), tracker_for("weather?", "out_of_scope"))
    assert events == []


async def test_core_fallback_forgets_the_turn_so_the_dialogue_cannot_loop() -> None:
    # Rasa runs action_fallback when no rule fits a turn; without the revert it
    # predicted the same action until its limit, ten fallback messages in a row.
    _, events = await run(ActionFallback(), tracker_for("hmm", "affirm"))
    assert [e["event"] for e in events] == ["rewind"]


async def test_a_general_question_about_suicide_also_gives_the_988_line() -> None:
    messages, _ = await run(
        ActionAnswerTopic(), tracker_for("does ketamine cause suicidal thoughts?", "side_effects")
    )
    texts = [m["text"] for m in messages if m.get("text")]
    assert "988" in texts[-1]
    assert customs(messages)[0]["topic"] == "side_effects"


async def test_a_fallback_or_clarify_on_a_message_naming_suicide_gives_the_988_line() -> None:
    text = "can ketamine help suicidal thoughts?"
    fallback, _ = await run(ActionFallback(), tracker_for(text, "out_of_scope"))
    ranking = [("nlu_fallback", 0.5), ("mental_health_uses", 0.44), ("side_effects", 0.4)]
    clarify, _ = await run(ActionClarify(), tracker_for(text, "nlu_fallback", ranking))
    for messages in (fallback, clarify):
        assert any("988" in (m.get("text") or "") for m in messages)
    assert customs(fallback) == [{"kind": "fallback"}]
    assert customs(clarify)[0]["kind"] == "clarify"


async def test_an_ordinary_fallback_gets_no_crisis_line() -> None:
    messages, _ = await run(ActionFallback(), tracker_for("weather?", "out_of_scope"))
    assert not any("988" in (m.get("text") or "") for m in messages)


async def test_an_ordinary_question_gets_no_crisis_line() -> None:
    messages, _ = await run(ActionAnswerTopic(), tracker_for("side effects?", "side_effects"))
    assert not any("988" in (m.get("text") or "") for m in messages)
