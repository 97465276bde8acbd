"""Requests kept in the local spool while the database is down reach it later, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.handoffs import from_conversation, spool
from core.handoffs.store import HandoffStore

REQUEST = {
    "conversation_id": "c-1",
    "reason": "contraindication",
    "trigger_message": "I have glaucoma",
    "trigger_key": "m-1",
    "conditions": ["eye_pressure"],
    "transcript": [{"speaker": "patient", "text": "I have glaucoma"}],
}


def test_spooled_request_is_replayed_once(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    provisional = spool.spool(REQUEST, path)
    assert provisional.startswith("h-pending-")
    assert [r["trigger_key"] for r in spool.pending(path)] == ["m-1"]

    down = HandoffStore("postgresql://nobody@127.0.0.1:9/none")
    assert spool.replay(down, path) == 0  # database still down: kept
    assert len(spool.pending(path)) == 1

    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    assert spool.replay(store, path) == 1
    assert spool.pending(path) == []
    [stored] = store.list()
    assert stored.conditions == ("eye_pressure",) and stored.trigger_message == "I have glaucoma"
    assert spool.replay(store, path) == 0 and len(store.list()) == 1


def test_replay_does_not_duplicate_a_request_the_action_server_stored(tmp_path: Path) -> None:
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    store.create(**REQUEST)  # the action server was only slow, and did store it
    spool.spool(REQUEST, tmp_path / "spool.jsonl")
    spool.replay(store, tmp_path / "spool.jsonl")
    assert len(store.list()) == 1


def test_spooled_callback_details_are_applied_on_replay(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    with_callback = {
        **REQUEST,
        "callback": {"status": "requested", "name": "Ana", "phone": "(512) 555-0123"},
    }
    spool.spool(with_callback, path)
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    spool.replay(store, path)
    [stored] = store.list()
    assert (stored.callback, stored.contact_name, stored.contact_phone) == (
        "requested",
        "Ana",
        "(512) 555-0123",
    )


def test_forgetting_a_patient_removes_their_spooled_requests(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    spool.spool(REQUEST, path)
    spool.spool({**REQUEST, "conversation_id": "c-2"}, path)
    assert spool.forget("c-1", path) == 1
    assert [r["conversation_id"] for r in spool.pending(path)] == ["c-2"]


def test_a_spanish_request_keeps_its_language_through_the_spool(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    spool.spool({**REQUEST, "language": "es"}, path)
    assert [r["language"] for r in spool.pending(path)] == ["es"]
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    assert spool.replay(store, path) == 1
    [stored] = store.list()
    assert stored.language == "es"
    [notification] = store.claim_due()
    assert notification.payload["handoff"]["language"] == "es"  # what staff are told


def test_a_request_spooled_without_a_language_is_replayed_as_english(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    spool.spool(REQUEST, path)  # a caller that gives none
    # A line spooled before the spool kept languages: no `language` at all.
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps({**REQUEST, "trigger_key": "m-2", "provisional_id": "h-pending-1"}))
        file.write("\n")
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    assert spool.replay(store, path) == 2
    assert [h.language for h in store.list()] == ["en", "en"]


def test_the_spool_refuses_a_language_the_store_would_refuse(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    with pytest.raises(ValueError, match="unknown patient language"):
        spool.spool({**REQUEST, "language": "fr"}, path)
    assert spool.pending(path) == []  # never written, so never stuck in the spool


def test_a_request_built_from_a_conversation_carries_its_language(tmp_path: Path) -> None:
    message = {"intent": {"name": "request_human"}, "text": "quiero hablar con alguien",
               "message_id": "m-1"}  # fmt: skip
    events = [{"event": "user", "text": message["text"], "message_id": "m-1"}]
    request = from_conversation.request_from("c-es", message, events, language="es")
    assert request["language"] == "es"
    assert from_conversation.request_from("c-en", message, events)["language"] == "en"
    with pytest.raises(ValueError, match="unknown patient language"):
        from_conversation.request_from("c-fr", message, events, language="fr")
    path = tmp_path / "spool.jsonl"  # the action server's two ways: stored, or spooled
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    assert store.create(**request).language == "es"
    spool.spool({**request, "conversation_id": "c-es-2"}, path)
    spool.replay(store, path)
    assert [h.language for h in store.list()] == ["es", "es"]
