"""Conversations survive a restart of the Rasa server (SQL tracker store)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.server.conftest import send
from tools.processes import NO_RATE_LIMITS, free_port, rasa_server, tracker_store_config

pytestmark = pytest.mark.server


def test_restarting_the_rasa_server_continues_the_conversation(
    action_port: int, tmp_path: Path
) -> None:
    """Starts its own two Rasa servers, one after the other on one tracker store: the
    restart is what it tests, and the shared server must keep running for the others."""
    tracker_db = tmp_path / "trackers.db"

    def start_rasa(name: str):
        rasa = rasa_server(
            free_port(),
            action_port,
            log_path=tmp_path / f"{name}.log",
            tracker_store=tracker_store_config(sqlite_path=tracker_db),
            HANDOFF_SPOOL=str(tmp_path / "spool.jsonl"),
            **NO_RATE_LIMITS,
        )
        rasa.start()
        rasa.wait_ready(timeout=180)
        return rasa, rasa.health_url + "webhooks/rest/webhook"

    sender = f"persist-{uuid.uuid4()}"
    rasa, url = start_rasa("before")
    try:
        first = send(url, sender, "I'm pregnant")
        assert any(i.get("custom", {}).get("kind") == "handoff" for i in first)
        send(url, sender, "no thanks")
    finally:
        rasa.stop()

    rasa, url = start_rasa("after")
    try:
        texts = [item.get("text", "") for item in send(url, sender, "how do I book?")]
        assert "not medical advice" not in " ".join(texts), "same conversation: no new intro"
        assert "clinician needs to review" in texts[0], "the handoff is remembered"
    finally:
        rasa.stop()

    with create_engine(f"sqlite:///{tracker_db}").connect() as connection:
        users = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": sender},
        ).all()
    assert len(users) == 3
