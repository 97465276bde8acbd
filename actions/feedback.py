"""The patient rates an answer: "Did this help?" Yes or No, pressed or typed."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import RATED_TOPIC_ENTITY, language_of, offer_person_if_stuck
from core import contract, escalation
from core.content_store import default_store
from core.context import LAST_TOPIC_SLOT
from core.feedback.store import FeedbackStore

logger = logging.getLogger(__name__)

RATING_BY_INTENT = {"answer_helped": "up", "answer_not_helped": "down"}
_store: FeedbackStore | None = None


def feedback_store() -> FeedbackStore:
    """The process-wide ratings store (in the handoff database, HANDOFF_DB_URL)."""
    global _store
    if _store is None:
        _store = FeedbackStore()
    return _store


def rated_topic(tracker: Tracker, topics: set[str]) -> str | None:
    """The topic a rating is about: the button's, else the last answer's (a typed rating).

    After a reply with two answers a typed rating rates the second, the one
    the patient read last (`last_topic`); each answer's buttons name their own.
    """
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == RATED_TOPIC_ENTITY and entity.get("value") in topics:
            return entity["value"]
    topic = tracker.get_slot(LAST_TOPIC_SLOT)
    return topic if topic in topics else None


class ActionRateAnswer(Action):
    """Stores the rating with its topic and time (no message text) and thanks the patient."""

    def name(self) -> str:
        return "action_rate_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = default_store().content
        language = language_of(tracker)
        rating = RATING_BY_INTENT.get(contract.latest_intent(tracker.latest_message) or "", "down")
        topic = rated_topic(tracker, set(content.answers))
        if topic is None:
            dispatcher.utter_message(text=content.reply("rated_nothing", language))
            dispatcher.utter_message(
                json_message=contract.feedback_item(rating, None, language=language)
            )
            return []
        try:
            feedback_store().rate(tracker.sender_id, topic, rating)
        except Exception as error:  # the database is down: the patient is thanked anyway
            logger.error("Rating not stored (%s)", type(error).__name__)
        thanks = content.reply("rated_up" if rating == "up" else "rated_down", language)
        dispatcher.utter_message(text=thanks)
        dispatcher.utter_message(
            json_message=contract.feedback_item(rating, topic, language=language)
        )
        if rating == "down":
            return offer_person_if_stuck(tracker, escalation.RATED_DOWN)
        return []
