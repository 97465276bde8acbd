"""The start of a conversation: the assistant introduces itself once."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content_store import default_store


class ActionSessionStart(Action):
    """Rasa's session start, plus the intro and disclaimer as the first reply."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            events.extend(
                SlotSet(name, value)
                for name, value in tracker.current_slot_values().items()
                if value is not None and name != "session_started_metadata"
            )
        dispatcher.utter_message(text=default_store().content.reply("intro"))
        events.append(ActionExecuted("action_listen"))
        return events
