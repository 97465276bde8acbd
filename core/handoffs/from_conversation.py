"""Building a handoff request from a conversation's events (plain dicts, as Rasa serialises them).

Shared by the action server's handoff action and the REST channel, which
records the request itself when the action server is down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from core.handoffs.store import check_language
from core.languages import ENGLISH

REASON_BY_INTENT = {"disclose_condition": "contraindication", "request_human": "user_request"}
CONFIRM_INTENT = "affirm"


def transcript(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation so far, for staff: who said what, and when (UTC)."""
    turns = []
    for event in events:
        speaker = {"user": "patient", "bot": "assistant"}.get(event.get("event"))
        if speaker and event.get("text"):
            stamp = event.get("timestamp")
            time = (
                dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
                if stamp
                else ""
            )
            turns.append({"speaker": speaker, "text": event["text"], "time": time})
    return turns


def request_from(
    conversation_id: str,
    latest_message: dict[str, Any],
    events: list[dict[str, Any]],
    language: str = ENGLISH,
) -> dict[str, Any] | None:
    """The handoff request a message calls for, or None if it calls for none.

    `language` is the patient's (`en` or `es`, else a ValueError), kept with
    the request so staff call back in it; the request's keys are
    `HandoffStore.create`'s arguments, and the spool keeps them all.
    """
    check_language(language)
    intent = (latest_message.get("intent") or {}).get("name")
    if intent == CONFIRM_INTENT:
        # "yes" to "are you telling me about a health condition?": the
        # request is about the message the patient just confirmed.
        latest_message = confirmed_disclosure(latest_message, events) or latest_message
        intent = (latest_message.get("intent") or {}).get("name")
    reason = REASON_BY_INTENT.get(intent)
    if reason is None:
        return None
    entities = latest_message.get("entities") or []
    conditions = [e["value"] for e in entities if e.get("entity") == "condition"]
    return {
        "conversation_id": conversation_id,
        "reason": reason,
        "conditions": list(dict.fromkeys(conditions)) if reason == "contraindication" else [],
        "trigger_message": latest_message.get("text") or "",
        "trigger_key": latest_message.get("message_id") or f"event-{len(events)}",
        "transcript": transcript(events),
        "language": language,
    }


def confirmed_disclosure(
    latest_message: dict[str, Any], events: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The suspected disclosure a "yes" answers: the patient's message right before it."""
    said = [e for e in events if e.get("event") == "user"]
    if said and said[-1].get("message_id") == latest_message.get("message_id"):
        said = said[:-1]  # the "yes" itself
    if not said:
        return None
    before = {**(said[-1].get("parse_data") or {}), "text": said[-1].get("text")}
    before["message_id"] = said[-1].get("message_id")
    reason = REASON_BY_INTENT.get((before.get("intent") or {}).get("name"))
    return before if reason == "contraindication" else None
