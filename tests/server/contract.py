"""Checks a REST reply against shared/api-contract.md."""

from __future__ import annotations

from typing import Any

REQUIRED_FIELDS = {
    "answer": {"topic", "sources"},
    "handoff": {"reason", "handoff_id"},
    "emergency": {"category"},
    "clarify": {"options"},
    "confirm": {"about", "options"},
    "fallback": set(),
    "smalltalk": {"act"},
    "ask": {"slot"},
}


def custom_items(reply: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item["custom"] for item in reply if "custom" in item]


def assert_follows_contract(reply: list[dict[str, Any]], sender: str) -> list[dict[str, Any]]:
    """Every reply carries at least one custom item of a known kind with its fields."""
    assert isinstance(reply, list) and reply, "empty reply"
    for item in reply:
        assert item.get("recipient_id") == sender
        assert "text" in item or "custom" in item or "buttons" in item, item
    customs = custom_items(reply)
    assert customs, f"no machine-readable item in {reply}"
    for custom in customs:
        kind = custom.get("kind")
        assert kind in REQUIRED_FIELDS, f"unknown kind {kind!r}"
        missing = REQUIRED_FIELDS[kind] - custom.keys()
        assert not missing, f"{kind} lacks {missing}"
        if kind == "answer":
            assert custom["sources"] or custom["topic"] == "booking"
            for source in custom["sources"]:
                assert set(source) == {"id", "title"} and source["title"]
    return customs
