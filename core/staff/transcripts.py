"""A conversation as staff read it, from Rasa's SQL tracker store.

Read with plain SQL from the `events` table Rasa's SQL tracker store writes
(`TRACKER_STORE_URL`, or the SQLite file `TRACKER_DB`), so it shows the whole
conversation, also what the patient said after the handoff, without loading
Rasa.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from core.handoffs.from_conversation import transcript
from core.privacy import tracker_db_url


class ConversationReader:
    def __init__(self, url: str | None = None) -> None:
        url = url or tracker_db_url()
        # A SQLite file that does not exist yet holds no conversation: never create it here.
        self.sqlite_file = Path(url[10:]) if url.startswith("sqlite:///") else None
        self.engine = create_engine(url, future=True, pool_pre_ping=True)

    def transcript(self, conversation_id: str) -> list[dict[str, Any]] | None:
        """Who said what and when; None if the store holds no such conversation (purged)."""
        if self.sqlite_file and not self.sqlite_file.exists():
            return None
        if not inspect(self.engine).has_table("events"):
            return None
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": conversation_id},
            ).scalars()
            events = [json.loads(data) for data in rows]
        return transcript(events) if events else None
