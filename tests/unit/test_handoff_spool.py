"""Requests kept in the local spool while the database is down reach it later, once."""

from __future__ import annotations

from pathlib import Path

from core.handoffs import spool
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
