"""Actions that answer from the curated content store, or say they cannot."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from core import contract
from core.clarify import clarify_options
from core.content_store import default_store
from core.safety.screen import default_screen

# After a contraindication handoff, these answers first remind the patient
# that a clinician reviews their case before anything is booked.
ELIGIBILITY_TOPICS = {
    "is_it_right_for_me",
    "candidates",
    "contraindications",
    "booking",
    "cost",
    "insurance",
    "preparation",
    "number_of_sessions",
    "session_length",
    "dosing",
}


def mentions_crisis(text: str) -> bool:
    """A question that names suicide or self-harm without being a crisis (the screen cleared it)."""
    return any(m.category == "crisis" for m in default_screen().screen(text).mentions)


def utter_crisis_line_if_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The 988 line under any reply to a message that names suicide or self-harm.

    The screen found no crisis in it ("can ketamine help suicidal thoughts?"),
    but whoever asks may be thinking of themselves, whatever the reply is.
    """
    if mentions_crisis(tracker.latest_message.get("text") or ""):
        dispatcher.utter_message(text=default_store().content.reply("crisis_line"))


def utter_fallback(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """What the assistant can help with and how to reach the clinic."""
    dispatcher.utter_message(text=default_store().content.reply("fallback"))
    utter_crisis_line_if_named(dispatcher, tracker)
    dispatcher.utter_message(json_message=contract.fallback_item())


class ActionAnswerTopic(Action):
    """Answers the topic the patient asked about (the intent is the topic id)."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        content = default_store().content
        topic = contract.latest_intent(tracker.latest_message)
        if topic not in content.answers:
            utter_fallback(dispatcher, tracker)
            return []
        answer = content.render(topic)
        if topic in ELIGIBILITY_TOPICS and tracker.get_slot("contraindication_handoff"):
            dispatcher.utter_message(text=content.reply("handoff_reminder"))
        for message in answer.messages:
            dispatcher.utter_message(text=message)
        if not any("988" in message for message in answer.messages):
            utter_crisis_line_if_named(dispatcher, tracker)
        dispatcher.utter_message(json_message=contract.answer_item(answer))
        return []


class ActionClarify(Action):
    """NLU was unsure: offer the likeliest topics as buttons, or fall back."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        content = default_store().content
        ranking = tracker.latest_message.get("intent_ranking") or []
        options = clarify_options(ranking, content.answers)
        if not options:
            utter_fallback(dispatcher, tracker)
            return []
        buttons = [
            {"title": content.answers[topic].title, "payload": f"/{topic}"} for topic in options
        ]
        dispatcher.utter_message(text=content.reply("clarify"), buttons=buttons)
        utter_crisis_line_if_named(dispatcher, tracker)
        dispatcher.utter_message(json_message=contract.clarify_item(options))
        return []


class ActionFallback(Action):
    """Out of scope, or a turn the dialogue has no rule for (Rasa's core fallback)."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        utter_fallback(dispatcher, tracker)
        if contract.latest_intent(tracker.latest_message) == "out_of_scope":
            return []
        # A core fallback: forget the turn, as Rasa's own fallback does, so the
        # dialogue waits for the patient instead of predicting this action
        # again (the same message ten times) and reading later turns wrongly.
        return [UserUtteranceReverted()]
