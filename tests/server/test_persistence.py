"""Conversations survive a restart of the Rasa server (SQL tracker store)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tools.processes import (
    action_server,
    free_port,
    lock_store_config,
    rasa_server,
    tracker_store_config,
)


def test_tracker_store_url_becomes_rasa_endpoint_config() -> None:
    config = tracker_store_config(url="postgresql://app:s%40cret@db.internal:5433/trackers")
    assert config == {
        "type": "rasa_server.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "db": "trackers",
        "port": 5433,
        "username": "app",
        "password": "s@cret",
    }


def test_lock_store_url_becomes_rasa_endpoint_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lock_store_config("redis://:pw@cache:6380/2") == {
        "type": "rasa_server.lock_store.AtomicRedisLockStore",
        "url": "cache",
        "port": 6380,
        "db": 2,
        "password": "pw",
    }
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    assert lock_store_config() is None  # one Rasa server needs no lock store


@pytest.mark.integration
def test_the_rasa_servers_endpoints_file_is_removed_when_it_stops(tmp_path: Path) -> None:
    server = rasa_server(free_port(), free_port(), tracker_store=tracker_store_config(
        url="postgresql://app:secret@db.internal/trackers"))  # fmt: skip
    endpoints = server.scratch / "endpoints.yml"
    assert "secret" in endpoints.read_text()
    server.command = ["sleep", "30"]  # the process itself does not matter here
    server.start()

    server.stop()

    assert not endpoints.exists() and not server.scratch.exists()


def test_restarting_the_rasa_server_continues_the_conversation(tmp_path: Path) -> None:
    tracker_db = tmp_path / "trackers.db"
    env = {
        "HANDOFF_DB_URL": f"sqlite:///{tmp_path / 'handoffs.db'}",
        "HANDOFF_SPOOL": str(tmp_path / "spool.jsonl"),
    }
    action_port = free_port()
    actions = action_server(action_port, log_path=tmp_path / "actions.log", **env)

    def start_rasa(name: str):
        rasa = rasa_server(
            free_port(),
            action_port,
            log_path=tmp_path / f"{name}.log",
            tracker_store=tracker_store_config(sqlite_path=tracker_db),
            **env,
        )
        rasa.start()
        rasa.wait_ready(timeout=180)
        return rasa, rasa.health_url + "webhooks/rest/webhook"

    sender = f"persist-{uuid.uuid4()}"
    actions.start()
    try:
        actions.wait_ready(timeout=60)
        rasa, url = start_rasa("before")
        first = requests.post(url, json={"sender": sender, "message": "I'm pregnant"}, timeout=30)
        assert any(i.get("custom", {}).get("kind") == "handoff" for i in first.json())
        requests.post(url, json={"sender": sender, "message": "no thanks"}, timeout=30)
        rasa.stop()

        rasa, url = start_rasa("after")
        try:
            reply = requests.post(
                url, json={"sender": sender, "message": "how do I book?"}, timeout=30
            )
            texts = [item.get("text", "") for item in reply.json()]
            assert "not medical advice" not in " ".join(texts), "same conversation: no new intro"
            assert "clinician needs to review" in texts[0], "the handoff is remembered"
        finally:
            rasa.stop()
    finally:
        actions.stop()

    with create_engine(f"sqlite:///{tracker_db}").connect() as connection:
        users = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": sender},
        ).all()
    assert len(users) == 3
