"""The machine-readable `custom` items of the REST contract (shared/api-contract.md).

Every reply to a patient carries one of these, so a clinic's site and our
tests can react to what the assistant did without parsing prose. Building
them in one place keeps the field names exactly as the contract spells them.
"""

from __future__ import annotations

from typing import Any

from actions.content_store import RenderedAnswer


def answer_item(answer: RenderedAnswer) -> dict[str, Any]:
    return {
        "kind": "answer",
        "topic": answer.topic,
        "sources": [{"id": s.id, "title": s.title} for s in answer.sources],
        "reviewed": answer.reviewed.isoformat(),
    }


def clarify_item(options: list[str]) -> dict[str, Any]:
    return {"kind": "clarify", "options": list(options)}


def fallback_item() -> dict[str, Any]:
    return {"kind": "fallback"}
