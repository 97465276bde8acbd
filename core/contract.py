"""The machine-readable `custom` items of the REST contract (shared/api-contract.md).

Every reply to a patient carries one of these, so a clinic's site and our
tests can react to what the assistant did without parsing prose. Building
them in one place keeps the field names exactly as the contract spells them.
Each item carries `language`, the language its reply is written in (the
patient's), so a builder takes it and none can forget it.
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
    The sources are the same in every language: the titles are the sources' own.
    """
    return {
        "kind": "answer",
        "topic": answer.topic,
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in answer.sources],
        "reviewed": answer.reviewed.isoformat(),
        "language": answer.language,
    }


def clarify_item(options: list[str], *, language: str) -> dict[str, Any]:
    return {"kind": "clarify", "options": list(options), "language": language}


def fallback_item(*, language: str) -> dict[str, Any]:
    return {"kind": "fallback", "language": language}


def handoff_item(handoff: Handoff, *, language: str) -> dict[str, Any]:
    return _handoff_item(handoff.reason, handoff.id, handoff.conditions, language)


def spooled_handoff_item(
    request: dict[str, Any], provisional_id: str, *, language: str
) -> dict[str, Any]:
    """A handoff recorded in the local spool while the database is down."""
    return _handoff_item(
        request["reason"], provisional_id, request.get("conditions") or (), language
    )


def _handoff_item(reason: str, handoff_id: str, conditions: Any, language: str) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": "handoff", "reason": reason, "handoff_id": handoff_id}
    if reason == "contraindication":
        item["conditions"] = list(conditions)
    item["language"] = language
    return item


def ask_item(slot: str, *, language: str) -> dict[str, Any]:
    return {"kind": "ask", "slot": slot, "language": language}


def feedback_item(rating: str, topic: str | None, *, language: str) -> dict[str, Any]:
    """The patient's rating of an answer, acknowledged (`topic`: the answer it rates)."""
    item: dict[str, Any] = {"kind": "feedback", "rating": rating}
    if topic:
        item["topic"] = topic
    item["language"] = language
    return item


def smalltalk_item(act: str, *, language: str) -> dict[str, Any]:
    return {"kind": "smalltalk", "act": act, "language": language}
