"""The ratings store: which answers helped, by topic, without any message text.

Plain Python over SQLAlchemy, no Rasa, in the same database as the handoff
requests (`HANDOFF_DB_URL`): what staff and curators look at lives in one
place. A rating keeps its topic, up or down, its time and the conversation
id, only so that "delete my conversation" (`core.privacy`) can delete it too.

One rating per conversation and topic: a patient who changes their mind
replaces their rating, and pressing a button twice does not count twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

from core.database import StaffSideStore

RATINGS = ("up", "down")

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class RatingRow(Base):
    __tablename__ = "answer_ratings"
    __table_args__ = (UniqueConstraint("conversation_id", "topic", name="one_rating_per_topic"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(100), nullable=False, index=True)
    rating = Column(String(8), nullable=False)
    rated_at = Column(DateTime, nullable=False, default=utcnow, index=True)


@dataclass(frozen=True)
class Rating:
    conversation_id: str
    topic: str
    rating: str
    rated_at: dt.datetime


@dataclass(frozen=True)
class TopicRatings:
    topic: str
    up: int
    down: int


class FeedbackStore(StaffSideStore):
    metadata = Base.metadata

    def rate(
        self, conversation_id: str, topic: str, rating: str, at: dt.datetime | None = None
    ) -> Rating:
        """Stores a rating, replacing this conversation's earlier rating of the topic."""
        if rating not in RATINGS:
            raise ValueError(f"unknown rating {rating!r}")
        at = at or utcnow()
        for _ in range(2):  # two replicas rating at once: the loser updates the winner's row
            try:
                with self._session() as session:
                    row = session.execute(
                        select(RatingRow).where(
                            RatingRow.conversation_id == conversation_id, RatingRow.topic == topic
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        row = RatingRow(conversation_id=conversation_id, topic=topic)
                        session.add(row)
                    row.rating, row.rated_at = rating, at
                return Rating(conversation_id, topic, rating, at)
            except IntegrityError:
                continue
        raise RuntimeError("rating not stored")

    def ratings(self, conversation_id: str | None = None) -> list[Rating]:
        with self._session() as session:
            query = select(RatingRow).order_by(RatingRow.id)
            if conversation_id is not None:
                query = query.where(RatingRow.conversation_id == conversation_id)
            return [
                Rating(row.conversation_id, row.topic, row.rating, row.rated_at)
                for row in session.execute(query).scalars()
            ]

    def by_topic(self, since: dt.datetime | None = None) -> list[TopicRatings]:
        """Ups and downs per rated topic (since a time), most rated first."""
        counts: dict[str, list[int]] = {}
        with self._session() as session:
            query = select(RatingRow.topic, RatingRow.rating)
            if since is not None:
                query = query.where(RatingRow.rated_at >= since)
            for topic, rating in session.execute(query):
                counts.setdefault(topic, [0, 0])[rating == "down"] += 1
        return sorted(
            (TopicRatings(topic, up, down) for topic, (up, down) in counts.items()),
            key=lambda t: (-(t.up + t.down), t.topic),
        )

    def forget_conversation(self, conversation_id: str) -> int:
        """Deletes a conversation's ratings; returns how many."""
        with self._session() as session:
            return session.execute(
                delete(RatingRow).where(RatingRow.conversation_id == conversation_id)
            ).rowcount

    def purge(self, rated_before: dt.datetime) -> int:
        """Deletes ratings older than the cutoff (the retention period); returns how many."""
        with self._session() as session:
            return session.execute(
                delete(RatingRow).where(RatingRow.rated_at < rated_before)
            ).rowcount
