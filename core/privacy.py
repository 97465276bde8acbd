"""Retention and deletion across every place the assistant keeps patient data.

Plain Python over SQLAlchemy: the tracker store (Rasa's `events` table), the
handoff store with its notification outbox, the answer ratings, and the local
handoff spool.

A patient can delete their own conversation from the chat ("delete my
conversation", `actions/privacy.py`). The action server deletes what lives in
the handoff database and the spool, then sets the `FORGET_SLOT` slot; the Rasa
server's tracker store deletes the conversation's events when it would save
them (rasa_server/tracker_store.py), so the turn that asked is deleted too:
Rasa writes a turn's events only after its actions ran.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text

from core.feedback.store import FeedbackStore
from core.handoffs import spool
from core.handoffs.store import HandoffRow, HandoffStore, NotificationRow, public_id, utcnow
from core.settings import settings

# The slot that asks the tracker store to delete a conversation instead of saving it.
FORGET_SLOT = "forget_conversation"


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
    ratings: int = 0


def sent_to_staff(handoffs: HandoffStore, conversation_id: str) -> list[str]:
    """The conversation's handoff requests whose notification reached the staff webhook.

    Deleting them here cannot delete the copy in the clinic's own systems:
    the patient is told so.
    """
    with handoffs.engine.connect() as connection:
        if not inspect(connection).has_table(NotificationRow.__tablename__):
            return []
        rows = connection.execute(
            select(HandoffRow.id)
            .join(NotificationRow, NotificationRow.handoff_id == HandoffRow.id)
            .where(HandoffRow.conversation_id == conversation_id)
            .where(NotificationRow.delivered_at.is_not(None))
            .distinct()
            .order_by(HandoffRow.id)
        ).scalars()
        return [public_id(number) for number in rows]


class PatientData:
    """Every store of patient data; `tracker_url` None leaves the tracker store alone.

    The action server passes None: it does not reach the tracker store, whose
    conversation the Rasa server deletes itself (`FORGET_SLOT`).
    """

    def __init__(
        self,
        tracker_url: str | None,
        handoffs: HandoffStore,
        spool_path: Path | None = None,
        feedback: FeedbackStore | None = None,
    ):
        self.tracker = create_engine(tracker_url, future=True) if tracker_url else None
        self.handoffs = handoffs
        self.spool_path = spool_path
        self.feedback = feedback or FeedbackStore(engine=handoffs.engine)

    def _has_events_table(self) -> bool:
        return self.tracker is not None and inspect(self.tracker).has_table("events")

    def forget(self, conversation_id: str) -> Report:
        """Deletes one conversation everywhere: messages, handoffs, notifications, ratings."""
        report = Report()
        if self._has_events_table():
            with self.tracker.begin() as connection:
                report.events = connection.execute(
                    text("DELETE FROM events WHERE sender_id = :sender"),
                    {"sender": conversation_id},
                ).rowcount
            report.conversations = int(report.events > 0)
        report.handoffs = self.handoffs.forget_conversation(conversation_id)
        report.ratings = self.feedback.forget_conversation(conversation_id)
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
        report.ratings = self.feedback.purge(utcnow() - dt.timedelta(days=days))
        return report
