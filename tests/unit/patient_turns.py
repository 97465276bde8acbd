"""Real rasa-sdk Tracker objects for one patient turn, and running an action on one."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

CONVERSATION_ID = "c-81f2"
DOMAIN: dict[str, Any] = {"session_config": {"carry_over_slots_to_new_session": True}}


def patient_turn(
    text: str,
    intent: str,
    *,
    ranking: list[tuple[str, float]] | None = None,
    conditions: tuple[str, ...] = (),
    slots: dict | None = None,
    reading: dict | None = None,
) -> Tracker:
    """The tracker right after the patient said `text`, read by the NLU as `intent`."""
    ranking = ranking or [(intent, 1.0)]
    message = {
        "text": text,
        "message_id": "msg-1",
        "intent": {"name": intent, "confidence": ranking[0][1]},
        "intent_ranking": [{"name": name, "confidence": score} for name, score in ranking],
        "entities": [{"entity": "condition", "value": c} for c in conditions],
    }
    if reading:  # what rasa_server/context_components.py read into the message
        message["reading"] = reading
    return Tracker(
        sender_id=CONVERSATION_ID,
        slots=slots or {},
        latest_message=message,
        events=[{"event": "user", "text": text, "timestamp": 1.7e9, "parse_data": message}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(action: Any, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    """The messages the action sends and the events it returns."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def customs(messages: list[dict]) -> list[dict]:
    """The machine-readable `custom` items of the messages."""
    return [m["custom"] for m in messages if m.get("custom")]


def without_rating_prompts(messages: list[dict]) -> list[dict]:
    """The messages less the "Did this help?" buttons under each answer."""
    return [
        m
        for m in messages
        if not any(b["payload"].startswith("/answer_") for b in m.get("buttons") or [])
    ]
