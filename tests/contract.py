"""Checks a REST reply against shared/api-contract.md."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

from core.content_store import DEFAULT_CONTENT_DIR, Content
from core.languages import LANGUAGES
from core.safety.categories import CONDITION_CATEGORIES, EMERGENCY_PRIORITY
from tools.topics import CATALOGUE_FILES, read_catalogue

REQUIRED_FIELDS = {
    "answer": {"topic", "sources"},
    "handoff": {"reason", "handoff_id"},
    "emergency": {"category"},
    "clarify": {"options"},
    "confirm": {"about", "options"},
    "fallback": set(),
    "smalltalk": {"act"},
    "ask": {"slot"},
    "feedback": {"rating"},
}
RATINGS = {"up", "down"}


def custom_items(reply: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item["custom"] for item in reply if "custom" in item]


@functools.cache
def clinic_supplied_sources() -> frozenset[str]:
    """The ids of the documents the clinic supplied: the only sources without an address."""
    sources = Content.load(DEFAULT_CONTENT_DIR).sources
    return frozenset(s.id for s in sources.values() if s.supplied_by_clinic)


@functools.cache
def topics_citing_nothing() -> frozenset[str]:
    """Topics the catalogue gives no sources: the clinic's own details (booking, location)."""
    return frozenset(t["id"] for t in read_catalogue(CATALOGUE_FILES) if not t["sources"])


def is_openable_url(url: Any) -> bool:
    """A web address or a DOI link (https://doi.org/...) a patient's browser can open."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [ in the host
        return False


def assert_source_follows_contract(source: Any, clinic_supplied: frozenset[str]) -> None:
    """{"id", "title", "url"}: url opens the source; null only for a clinic-supplied document."""
    assert isinstance(source, dict) and set(source) == {"id", "title", "url"}, source
    assert isinstance(source["title"], str) and source["title"], source
    if source["url"] is None:
        assert source["id"] in clinic_supplied, (
            f"only a clinic-supplied document has no url: {source}"
        )
    else:
        assert is_openable_url(source["url"]), f"url a patient cannot open: {source}"


def assert_follows_contract(
    reply: list[dict[str, Any]],
    sender: str,
    clinic_supplied: frozenset[str] | None = None,
    *,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """Every reply carries at least one custom item of a known kind with its fields.

    Each item says the language the reply is written in, one for the whole
    reply (`language`, when given, is the one it must be).
    `clinic_supplied`: the source ids that may come without a url (default: the
    shipped content's documents marked `supplied_by_clinic`).
    """
    assert isinstance(reply, list) and reply, "empty reply"
    for item in reply:
        assert item.get("recipient_id") == sender
        assert "text" in item or "custom" in item or "buttons" in item, item
    customs = custom_items(reply)
    assert customs, f"no machine-readable item in {reply}"
    languages = {custom.get("language") for custom in customs}
    assert len(languages) == 1 and languages <= set(LANGUAGES), f"languages {languages}: {customs}"
    assert language in (None, *languages), f"not in {language}: {customs}"
    for custom in customs:
        kind = custom.get("kind")
        assert kind in REQUIRED_FIELDS, f"unknown kind {kind!r}"
        missing = REQUIRED_FIELDS[kind] - custom.keys()
        assert not missing, f"{kind} lacks {missing}"
        if kind == "emergency":
            assert custom["category"] in EMERGENCY_PRIORITY, f"undeclared category in {custom}"
        if kind == "handoff":
            undeclared = set(custom.get("conditions") or []) - set(CONDITION_CATEGORIES)
            assert not undeclared, f"undeclared conditions {undeclared} in {custom}"
        if kind == "feedback":
            assert custom["rating"] in RATINGS, f"unknown rating in {custom}"
        if kind == "answer":
            assert custom["sources"] or custom["topic"] in topics_citing_nothing(), custom
            if clinic_supplied is None:
                clinic_supplied = clinic_supplied_sources()
            for source in custom["sources"]:
                assert_source_follows_contract(source, clinic_supplied)
    return customs
