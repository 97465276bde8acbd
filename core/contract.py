"""The machine-readable `custom` items of the REST contract (shared/api-contract.md).

Every reply to a patient carries one of these, so a clinic's site and our
tests can react to what the assistant did without parsing prose. Building
them in one place keeps the field names exactly as the contract spells them.
"""

from __future__ import annotations

from typing import Any

from core.content_store import RenderedAnswer
from core.handoffs.store import Handoff

# Longer messages are refused with 413: no patient question needs more, and
# the limit keeps one request from tying up the NLU pipeline.
MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128


def reply_kinds(messages: list[dict[str, Any]]) -> set[str]:
    """The kinds of the custom items in a reply (empty: it told a machine nothing)."""
    return {
        m["custom"]["kind"]
        for m in messages
        if isinstance(m.get("custom"), dict) and m["custom"].get("kind")
    }


def latest_intent(latest_message: dict[str, Any]) -> str | None:
    """The intent the dialogue acted on (rasa-sdk's helper needs an intent ranking)."""
    return (latest_message.get("intent") or {}).get("name")


def answer_item(answer: RenderedAnswer) -> dict[str, Any]:
    """The `answer` item; each source carries the address a patient can open.

    `url` is null only for a document the clinic supplied (content_store.Source).
    """
    return {
        "kind": "answer",
        "topic": answer.topic,
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in answer.sources],
        "reviewed": answer.reviewed.isoformat(),
    }


def clarify_item(options: list[str]) -> dict[str, Any]:
    return {"kind": "clarify", "options": list(options)}


def fallback_item() -> dict[str, Any]:
    return {"kind": "fallback"}


def handoff_item(handoff: Handoff) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": "handoff", "reason": handoff.reason, "handoff_id": handoff.id}
    if handoff.reason == "contraindication":
        item["conditions"] = list(handoff.conditions)
    return item


def spooled_handoff_item(request: dict[str, Any], provisional_id: str) -> dict[str, Any]:
    """A handoff recorded in the local spool while the database is down."""
    item: dict[str, Any] = {
        "kind": "handoff",
        "reason": request["reason"],
        "handoff_id": provisional_id,
    }
    if request["reason"] == "contraindication":
        item["conditions"] = list(request["conditions"])
    return item


def ask_item(slot: str) -> dict[str, Any]:
    return {"kind": "ask", "slot": slot}


def feedback_item(rating: str, topic: str | None) -> dict[str, Any]:
    """The patient's rating of an answer, acknowledged (`topic`: the answer it rates)."""
    item: dict[str, Any] = {"kind": "feedback", "rating": rating}
    if topic:
        item["topic"] = topic
    return item


def smalltalk_item(act: str) -> dict[str, Any]:
    return {"kind": "smalltalk", "act": act}
