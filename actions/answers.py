"""Actions that answer from the curated content store, or say they cannot."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from core import contract, escalation
from core.clarify import clarify_options
from core.content_store import Content, RenderedAnswer, default_store
from core.context import ANSWER_ACTION, LANGUAGE_SLOT, LAST_TOPIC_SLOT
from core.languages import spoken_or_english
from core.safety.screen import default_screen

# A message with more questions gets this many answers; the rest are offered as buttons.
MAX_ANSWERS = 2

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


def language_of(tracker: Tracker) -> str:
    """The conversation's language: every reply is written in it."""
    return spoken_or_english(tracker.get_slot(LANGUAGE_SLOT))


def mentions_crisis(text: str) -> bool:
    """A question that names suicide or self-harm without being a crisis (the screen cleared it)."""
    return any(m.category == "crisis" for m in default_screen().screen(text).mentions)


def utter_crisis_line_if_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The 988 line under any reply to a message that names suicide or self-harm.

    The screen found no crisis in it ("can ketamine help suicidal thoughts?"),
    but whoever asks may be thinking of themselves, whatever the reply is.
    """
    if mentions_crisis(tracker.latest_message.get("text") or ""):
        dispatcher.utter_message(
            text=default_store().content.reply("crisis_line", language_of(tracker))
        )


# The domain response that offers a person (a yes leads into the user_request handoff).
OFFER_PERSON = "utter_offer_person"
# The entity a "Did this help?" button's payload names the rated topic with.
RATED_TOPIC_ENTITY = "rated_topic"


def rating_buttons(content: Content, topic: str, language: str) -> list[dict[str, str]]:
    """ "Did this help?" Yes/No for one answer: each payload names the topic it rates.

    A reply with two answers gets a pair under each, so each rates its own topic.
    """
    entities = json.dumps({RATED_TOPIC_ENTITY: topic})
    return [
        {"title": button["title"], "payload": f"{button['payload']}{entities}"}
        for button in content.buttons("rate_prompt", language)
    ]


def utter_rating_prompt(dispatcher: CollectingDispatcher, topic: str, language: str) -> None:
    content = default_store().content
    dispatcher.utter_message(
        text=content.reply("rate_prompt", language),
        buttons=rating_buttons(content, topic, language),
    )


def offer_person_if_stuck(tracker: Tracker, this_turn: str) -> list[EventType]:
    """Runs the offer of a person next after the second unhelpful turn in a row.

    Not when the conversation already has a handoff: staff are on it.
    """
    if tracker.get_slot("handoff_id"):
        return []
    if escalation.should_offer_person(tracker.events, this_turn):
        return [FollowupAction(OFFER_PERSON)]
    return []


def utter_fallback(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """What the assistant can help with and how to reach the clinic."""
    language = language_of(tracker)
    dispatcher.utter_message(text=default_store().content.reply("fallback", language))
    utter_crisis_line_if_named(dispatcher, tracker)
    dispatcher.utter_message(json_message=contract.fallback_item(language=language))


class ActionAnswerTopic(Action):
    """Answers the topic the patient asked about (the intent is the topic id).

    NLU may have read more into the message (rasa_server/context_components.py):
    two questions get two answers in the order asked, and a third or fourth is
    offered as buttons; "tell me more" after an answer lists its sources. The
    topic answered last is kept in the `last_topic` slot for the next follow-up.
    """

    def name(self) -> str:
        return ANSWER_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        content = default_store().content
        language = language_of(tracker)
        reading = tracker.latest_message.get("reading") or {}
        topics = [t for t in reading.get("topics") or [] if t in content.answers]
        if not topics:
            topic = contract.latest_intent(tracker.latest_message)
            if topic not in content.answers:
                utter_fallback(dispatcher, tracker)
                return offer_person_if_stuck(tracker, escalation.FAILED)
            topics = [topic]
        answered, offered = topics[:MAX_ANSWERS], topics[MAX_ANSWERS:]
        if reading.get("how") == "more":
            utter_more(dispatcher, content.render(answered[0], language))
            return [SlotSet(LAST_TOPIC_SLOT, answered[0])]
        if tracker.get_slot("contraindication_handoff") and ELIGIBILITY_TOPICS & set(answered):
            dispatcher.utter_message(text=content.reply("handoff_reminder", language))
        answers = [content.render(topic, language) for topic in answered]
        for answer in answers:
            for message in answer.messages:
                dispatcher.utter_message(text=message)
            dispatcher.utter_message(json_message=contract.answer_item(answer))
            utter_rating_prompt(dispatcher, answer.topic, language)
        if not any("988" in message for answer in answers for message in answer.messages):
            utter_crisis_line_if_named(dispatcher, tracker)
        if offered:
            buttons = [{"title": content.title(t, language), "payload": f"/{t}"} for t in offered]
            dispatcher.utter_message(text=content.reply("also_asked", language), buttons=buttons)
            dispatcher.utter_message(json_message=contract.clarify_item(offered, language=language))
        return [SlotSet(LAST_TOPIC_SLOT, answered[-1])]


def utter_more(dispatcher: CollectingDispatcher, answer: RenderedAnswer) -> None:
    """More of an answer the patient has just read: the sources it rests on, as titled."""
    content = default_store().content
    if not answer.sources:
        dispatcher.utter_message(text=content.reply("more_no_sources", answer.language))
    else:
        titles = "\n".join(f"- {source.title}" for source in answer.sources)
        more = content.reply("more_sources", answer.language)
        dispatcher.utter_message(text=f"{more}\n{titles}")
    dispatcher.utter_message(json_message=contract.answer_item(answer))
    utter_rating_prompt(dispatcher, answer.topic, answer.language)


class ActionClarify(Action):
    """NLU was unsure: offer the likeliest topics as buttons, or fall back."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        content = default_store().content
        language = language_of(tracker)
        ranking = tracker.latest_message.get("intent_ranking") or []
        options = clarify_options(ranking, content.answers)
        if not options:
            utter_fallback(dispatcher, tracker)
            return offer_person_if_stuck(tracker, escalation.FAILED)
        buttons = [
            {"title": content.title(topic, language), "payload": f"/{topic}"} for topic in options
        ]
        dispatcher.utter_message(text=content.reply("clarify", language), buttons=buttons)
        utter_crisis_line_if_named(dispatcher, tracker)
        dispatcher.utter_message(json_message=contract.clarify_item(options, language=language))
        return offer_person_if_stuck(tracker, escalation.CLARIFIED)


class ActionFallback(Action):
    """Out of scope, or a turn the dialogue has no rule for (Rasa's core fallback)."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        utter_fallback(dispatcher, tracker)
        offer = offer_person_if_stuck(tracker, escalation.FAILED)
        if contract.latest_intent(tracker.latest_message) == "out_of_scope":
            return offer
        # A core fallback: forget the turn, as Rasa's own fallback does, so the
        # dialogue waits for the patient instead of predicting this action
        # again (the same message ten times) and reading later turns wrongly.
        return [UserUtteranceReverted(), *offer]
