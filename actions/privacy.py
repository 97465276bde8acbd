"""The patient deletes their own conversation ("delete my conversation", "forget me")."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import language_of
from actions.feedback import feedback_store
from actions.handoff import handoff_store
from core import contract
from core.content_store import default_store
from core.privacy import FORGET_SLOT, PatientData, sent_to_staff

logger = logging.getLogger(__name__)


class ActionForgetConversation(Action):
    """Deletes the conversation's data, as `make forget` does, and says what is kept.

    This action deletes what lives in the handoff database (requests, their
    notifications, ratings) and the spool. The conversation itself is in the
    Rasa server's tracker store, which Rasa writes only after this action
    ran: `FORGET_SLOT` makes the tracker store delete it, this turn included,
    instead of saving it (rasa_server/tracker_store.py).
    """

    def name(self) -> str:
        return "action_forget_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = default_store().content
        language = language_of(tracker)
        try:
            already_sent = sent_to_staff(handoff_store(), tracker.sender_id)
            PatientData(None, handoff_store(), feedback=feedback_store()).forget(tracker.sender_id)
        except Exception as error:  # the handoff database is down
            logger.error("Conversation data not deleted (%s)", type(error).__name__)
            dispatcher.utter_message(text=content.reply("forget_failed", language))
        else:
            dispatcher.utter_message(text=content.reply("forget_done", language))
            if already_sent:
                dispatcher.utter_message(text=content.reply("forget_kept_sent", language))
        forgotten = contract.smalltalk_item("forgotten", language=language)
        dispatcher.utter_message(json_message=forgotten)
        return [SlotSet(FORGET_SLOT, True)]
