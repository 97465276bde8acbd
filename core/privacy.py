"""Retention and deletion across every place the assistant keeps patient data.

Plain Python over SQLAlchemy: the tracker store (Rasa's `events` table), the
handoff store with its notification outbox, and the local handoff spool.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from core.handoffs import spool
from core.handoffs.store import HandoffStore, utcnow
from core.settings import settings


def retention_days() -> int:
    return settings().retention_days


def tracker_db_url() -> str:
    """The tracker store's database, as `make run` configures it."""
    return settings().tracker_store_url or f"sqlite:///{settings().tracker_db}"


@dataclass
class Report:
    conversations: int = 0
    events: int = 0
    handoffs: int = 0
    spooled: int = 0
    open_handoffs_kept: int = 0


class PatientData:
    def __init__(self, tracker_url: str, handoffs: HandoffStore, spool_path: Path | None = None):
        self.tracker = create_engine(tracker_url, future=True)
        self.handoffs = handoffs
        self.spool_path = spool_path

    def _has_events_table(self) -> bool:
        return inspect(self.tracker).has_table("events")

    def forget(self, conversation_id: str) -> Report:
        """Deletes one conversation everywhere: its messages, handoffs and notifications."""
        report = Report()
        if self._has_events_table():
            with self.tracker.begin() as connection:
                report.events = connection.execute(
                    text("DELETE FROM events WHERE sender_id = :sender"),
                    {"sender": conversation_id},
                ).rowcount
            report.conversations = int(report.events > 0)
        report.handoffs = self.handoffs.forget_conversation(conversation_id)
        report.spooled = spool.forget(conversation_id, self.spool_path)
        return report

    def purge(self, days: int) -> Report:
        """Deletes conversations and resolved handoffs older than `days`; keeps open ones."""
        report = Report()
        cutoff = time.time() - days * 86400
        if self._has_events_table():
            with self.tracker.begin() as connection:
                old = (
                    connection.execute(
                        text(
                            "SELECT sender_id FROM events GROUP BY sender_id "
                            "HAVING MAX(timestamp) < :cutoff"
                        ),
                        {"cutoff": cutoff},
                    )
                    .scalars()
                    .all()
                )
                for sender in old:
                    report.events += connection.execute(
                        text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender}
                    ).rowcount
                report.conversations = len(old)
        report.handoffs, report.open_handoffs_kept = self.handoffs.purge_resolved(
            utcnow() - dt.timedelta(days=days)
        )
        return report
