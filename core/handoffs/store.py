"""The handoff store: requests for clinic staff to contact a patient, kept durably.

Plain Python over SQLAlchemy, no Rasa. SQLite by default (a file in `var/`,
created on first use); any SQLAlchemy URL, e.g. PostgreSQL, through
`HANDOFF_DB_URL`.

Every change staff must hear about writes a row to the `notifications`
outbox in the same transaction as the change itself, so a request can never
exist without its notification. `core.handoffs.notifier` delivers the outbox.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, declarative_base

from core.database import StaffSideStore
from core.languages import ENGLISH, LANGUAGES

REASONS = ("contraindication", "user_request")
OPEN, RESOLVED = "open", "resolved"

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def public_id(number: int) -> str:
    """The id patients and staff see: h-000123."""
    return f"h-{number:06d}"


def check_language(language: str) -> str:
    """The language code if the assistant speaks it; a ValueError names the bad one.

    The callback is made in the patient's language (core/languages.py).
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown patient language {language!r}: one of {', '.join(LANGUAGES)}")
    return language


def number_of(handoff_id: str) -> int:
    prefix, _, digits = handoff_id.partition("-")
    if prefix != "h" or not digits.isdigit():
        raise ValueError(f"not a handoff id: {handoff_id!r}")
    return int(digits)


class HandoffRow(Base):
    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("conversation_id", "trigger_key", name="one_per_message"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    trigger_key = Column(String(255), nullable=False)
    reason = Column(String(32), nullable=False)
    conditions = Column(Text, nullable=False, default="[]")
    trigger_message = Column(Text, nullable=False)
    transcript = Column(Text, nullable=False, default="[]")
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    status = Column(String(16), nullable=False, default=OPEN, index=True)
    resolved_at = Column(DateTime)
    callback = Column(String(16), nullable=False, default="offered")
    contact_name = Column(String(200))
    contact_phone = Column(String(40))
    contact_email = Column(String(254))
    callback_time = Column(String(200))
    # Added with the staff console: who resolved a request, and their note.
    resolved_by = Column(String(64))
    resolution_note = Column(Text)
    # Added with Spanish (issue 15): the language staff call the patient back in.
    language = Column(String(8), nullable=False, default=ENGLISH, server_default=ENGLISH)


# Columns added after the first release, with their SQL type: a database made
# before them gets them on first use (create_all adds tables, not columns).
# Requests made before `language` were all in English, hence its default.
ADDED_COLUMNS = {
    "resolved_by": "VARCHAR(64)",
    "resolution_note": "TEXT",
    "language": f"VARCHAR(8) NOT NULL DEFAULT '{ENGLISH}'",
}


class NotificationRow(Base):
    __tablename__ = "notifications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    event = Column(String(32), nullable=False)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    lease_until = Column(DateTime)
    delivered_at = Column(DateTime, index=True)
    last_error = Column(Text)


@dataclass(frozen=True)
class Handoff:
    id: str
    conversation_id: str
    reason: str
    conditions: tuple[str, ...]
    trigger_message: str
    transcript: tuple[dict[str, Any], ...]
    created_at: dt.datetime
    status: str
    resolved_at: dt.datetime | None
    callback: str
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    callback_time: str | None
    resolved_by: str | None = None
    resolution_note: str | None = None
    language: str = ENGLISH

    @classmethod
    def from_row(cls, row: HandoffRow) -> Handoff:
        return cls(
            id=public_id(row.id),
            conversation_id=row.conversation_id,
            reason=row.reason,
            conditions=tuple(json.loads(row.conditions)),
            trigger_message=row.trigger_message,
            transcript=tuple(json.loads(row.transcript)),
            created_at=row.created_at,
            status=row.status,
            resolved_at=row.resolved_at,
            callback=row.callback,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            contact_email=row.contact_email,
            callback_time=row.callback_time,
            resolved_by=row.resolved_by,
            resolution_note=row.resolution_note,
            language=row.language,
        )

    def summary(self) -> dict[str, Any]:
        """What staff are told: enough to act, without the conversation's text."""
        return {
            "handoff_id": self.id,
            "conversation_id": self.conversation_id,
            "reason": self.reason,
            "conditions": list(self.conditions),
            "language": self.language,
            "created_at": self.created_at.isoformat() + "Z",
            "status": self.status,
            "callback": self.callback,
            "contact": {
                "name": self.contact_name,
                "phone": self.contact_phone,
                "email": self.contact_email,
                "best_time": self.callback_time,
            },
        }


@dataclass(frozen=True)
class HandoffTiming:
    reason: str
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass(frozen=True)
class Notification:
    id: int
    handoff_id: str
    event: str
    payload: dict[str, Any]
    attempts: int


class HandoffStore(StaffSideStore):
    metadata = Base.metadata

    def _prepare_schema(self) -> None:
        super()._prepare_schema()
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        present = {column["name"] for column in inspect(self.engine).get_columns("handoffs")}
        missing = {name: kind for name, kind in ADDED_COLUMNS.items() if name not in present}
        if missing:
            with self.engine.begin() as connection:
                for name, kind in missing.items():
                    connection.execute(text(f"ALTER TABLE handoffs ADD COLUMN {name} {kind}"))

    # --- handoffs -------------------------------------------------------------

    def create(
        self,
        conversation_id: str,
        reason: str,
        trigger_message: str,
        trigger_key: str,
        conditions: list[str] | tuple[str, ...] = (),
        transcript: list[dict[str, Any]] | None = None,
        language: str = ENGLISH,
    ) -> Handoff:
        """Records a request, once per triggering message, with its staff notification.

        `language` is the patient's, `en` or `es`: staff call back in it. A
        repeat of the same message returns the first request as it was.
        """
        if reason not in REASONS:
            raise ValueError(f"unknown handoff reason {reason!r}")
        check_language(language)
        with self._session() as session:
            existing = session.execute(
                select(HandoffRow).where(
                    HandoffRow.conversation_id == conversation_id,
                    HandoffRow.trigger_key == trigger_key,
                )
            ).scalar_one_or_none()
            if existing is not None:
                return Handoff.from_row(existing)
            row = HandoffRow(
                conversation_id=conversation_id,
                trigger_key=trigger_key,
                reason=reason,
                conditions=json.dumps(list(conditions)),
                trigger_message=trigger_message,
                transcript=json.dumps(transcript or []),
                language=language,
            )
            session.add(row)
            session.flush()
            handoff = Handoff.from_row(row)
            self._enqueue(session, row.id, "handoff.created", handoff)
            return handoff

    def record_callback(
        self,
        handoff_id: str,
        callback: str,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        best_time: str | None = None,
        transcript: list[dict[str, Any]] | None = None,
    ) -> Handoff:
        """The patient's answer to the callback offer: contact details, declined or stopped."""
        with self._session() as session:
            row = self._row(session, handoff_id)
            row.callback = callback
            if callback == "requested":
                row.contact_name, row.contact_phone, row.contact_email = name, phone, email
                row.callback_time = best_time
            if transcript is not None:
                row.transcript = json.dumps(transcript)
            session.flush()
            handoff = Handoff.from_row(row)
            self._enqueue(session, row.id, f"callback.{callback}", handoff)
            return handoff

    def resolve(self, handoff_id: str, note: str | None = None, by: str | None = None) -> Handoff:
        """Marks a request resolved, with who resolved it and their note (both optional)."""
        with self._session() as session:
            row = self._row(session, handoff_id)
            row.status, row.resolved_at = RESOLVED, utcnow()
            row.resolved_by, row.resolution_note = by, note
            return Handoff.from_row(row)

    def get(self, handoff_id: str) -> Handoff:
        with self._session() as session:
            return Handoff.from_row(self._row(session, handoff_id))

    def list(
        self, status: str | None = OPEN, reason: str | None = None, newest_first: bool = False
    ) -> list[Handoff]:
        with self._session() as session:
            order = HandoffRow.id.desc() if newest_first else HandoffRow.id
            query = select(HandoffRow).order_by(order)
            if status:
                query = query.where(HandoffRow.status == status)
            if reason:
                query = query.where(HandoffRow.reason == reason)
            return [Handoff.from_row(row) for row in session.execute(query).scalars()]

    def timings(self, created_since: dt.datetime) -> list[HandoffTiming]:
        """Reason, status and times of the requests created since then (nothing patients said)."""
        with self._session() as session:
            rows = session.execute(
                select(
                    HandoffRow.reason,
                    HandoffRow.status,
                    HandoffRow.created_at,
                    HandoffRow.resolved_at,
                )
                .where(HandoffRow.created_at >= created_since)
                .order_by(HandoffRow.id)
            )
            return [HandoffTiming(*row) for row in rows]

    def forget_conversation(self, conversation_id: str) -> int:
        """Deletes a conversation's requests and their notifications; returns how many requests."""
        with self._session() as session:
            ids = (
                session.execute(
                    select(HandoffRow.id).where(HandoffRow.conversation_id == conversation_id)
                )
                .scalars()
                .all()
            )
            return self._delete(session, ids)

    def purge_resolved(self, created_before: dt.datetime) -> tuple[int, int]:
        """Deletes resolved requests created before the cutoff, with their notifications.

        Open requests are never deleted. Returns (deleted, open requests kept).
        """
        with self._session() as session:
            old = session.execute(
                select(HandoffRow.id, HandoffRow.status).where(
                    HandoffRow.created_at < created_before
                )
            ).all()
            resolved = [row.id for row in old if row.status == RESOLVED]
            return self._delete(session, resolved), len(old) - len(resolved)

    @staticmethod
    def _delete(session: Session, ids: list[int]) -> int:
        if not ids:
            return 0
        session.execute(delete(NotificationRow).where(NotificationRow.handoff_id.in_(ids)))
        return session.execute(delete(HandoffRow).where(HandoffRow.id.in_(ids))).rowcount

    def _row(self, session: Session, handoff_id: str) -> HandoffRow:
        row = session.get(HandoffRow, number_of(handoff_id))
        if row is None:
            raise KeyError(f"no handoff {handoff_id}")
        return row

    # --- the notification outbox -----------------------------------------------

    def _enqueue(self, session: Session, row_id: int, event: str, handoff: Handoff) -> None:
        payload = {"event": event, "handoff": handoff.summary()}
        session.add(NotificationRow(handoff_id=row_id, event=event, payload=json.dumps(payload)))

    def claim_due(self, lease_seconds: float = 60, limit: int = 20) -> list[Notification]:
        """Undelivered notifications whose retry time has come, leased to this caller.

        The lease keeps two action servers from posting the same notification
        at once; if the claimer dies, the lease runs out and another retries.
        """
        now = utcnow()
        lease = now + dt.timedelta(seconds=lease_seconds)
        claimed = []
        with self._session() as session:
            candidates = session.execute(
                select(NotificationRow)
                .where(NotificationRow.delivered_at.is_(None))
                .where(NotificationRow.next_attempt_at <= now)
                .order_by(NotificationRow.id)
                .limit(limit)
            ).scalars()
            for row in list(candidates):
                won = session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id == row.id)
                    .where(NotificationRow.delivered_at.is_(None))
                    .where(
                        (NotificationRow.lease_until.is_(None))
                        | (NotificationRow.lease_until < now)
                    )
                    .values(lease_until=lease)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if won:
                    claimed.append(
                        Notification(
                            id=row.id,
                            handoff_id=public_id(row.handoff_id),
                            event=row.event,
                            payload=json.loads(row.payload),
                            attempts=row.attempts,
                        )
                    )
        return claimed

    def mark_delivered(self, notification_id: int) -> None:
        with self._session() as session:
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == notification_id)
                .values(delivered_at=utcnow(), lease_until=None, last_error=None)
            )

    def mark_failed(self, notification_id: int, error: str, retry_in: float) -> None:
        with self._session() as session:
            row = session.get(NotificationRow, notification_id)
            row.attempts += 1
            row.last_error = error[:500]
            row.lease_until = None
            row.next_attempt_at = utcnow() + dt.timedelta(seconds=retry_in)

    def pending_count(self) -> int:
        with self._session() as session:
            rows = session.execute(
                select(NotificationRow.id).where(NotificationRow.delivered_at.is_(None))
            ).all()
            return len(rows)
