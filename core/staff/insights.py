"""Insights for curators: what patients asked, what the assistant could not answer, and why.

Computed on request from the stores themselves, so they hold nothing the
retention rules (docs/privacy.md) have deleted and copy no message text
anywhere else:

- the conversations, from Rasa's SQL tracker store (`events` table): one
  query over the window's `user` and `bot` events, by an index on their
  timestamp that the reader adds on first use;
- the answer ratings (`answer_ratings`) and handoff requests (`handoffs`)
  from the handoff database: topics, reasons and times, no text;
- the review dates of the answers in `content/answers/`.

A patient message is one the patient typed: a button's payload ("/affirm",
a rating) is not counted as one. What the assistant did with it is read
from the reply's `custom` items (the REST contract's kinds):

- **answered**: an `answer` item; or a `clarify` whose options the patient
  took (the next turn was answered), counted as `answered after a choice`;
- **not answered**: a `fallback`, or a `clarify` nobody took (the next turn
  was no answer, or there was none): these messages' texts are grouped;
- otherwise the reply was an emergency, a handoff, small talk or another
  kind, which is neither.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import logging
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.content_store import Content, ContentStore
from core.escalation import ANSWERED, CLARIFIED, FAILED, outcome
from core.feedback.store import FeedbackStore
from core.handoffs.store import REASONS, RESOLVED, HandoffStore, utcnow
from core.settings import settings
from core.staff.question_groups import group_questions
from core.staff.transcripts import ConversationReader

logger = logging.getLogger(__name__)

MAX_DAYS = 366
TIMESTAMP_INDEX = "ix_events_timestamp"
# What became of the patient's typed messages, in the order the console shows them.
REPLY_CLASSES = (
    "answered",
    "answered_after_choice",
    "fallback",
    "clarify_not_taken",
    "emergency",
    "handoff",
    "smalltalk",
    "other",
)
TABLES = ("unanswered", "topics", "handoffs", "stale_content")


@dataclass
class Turn:
    """A patient's message and the `custom` items of the assistant's reply to it."""

    text: str
    customs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def typed(self) -> bool:
        return not self.text.startswith("/")


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day if it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def percentile(values: list[float], share: float) -> float | None:
    return float(np.percentile(values, share * 100)) if values else None


def rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


class ConversationTurns:
    """Reads the window's turns from Rasa's `events` table."""

    def __init__(self, reader: ConversationReader) -> None:
        self.reader = reader
        self._indexed = False

    @property
    def engine(self) -> Engine:
        return self.reader.engine

    def _has_events(self) -> bool:
        if self.reader.sqlite_file and not self.reader.sqlite_file.exists():
            return False
        return inspect(self.engine).has_table("events")

    def _ensure_index(self) -> None:
        """The index the window's query reads by; Rasa's own table indexes only sender_id."""
        if self._indexed:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    text(f"CREATE INDEX IF NOT EXISTS {TIMESTAMP_INDEX} ON events (timestamp)")
                )
        except SQLAlchemyError as problem:  # e.g. a read-only database user: slower, still right
            logger.warning("Could not index the events by time: %s", type(problem).__name__)
        self._indexed = True

    def since(self, start: float) -> dict[str, list[Turn]]:
        """Each conversation's turns whose patient message came at or after `start` (Unix time)."""
        conversations: dict[str, list[Turn]] = {}
        if not self._has_events():
            return conversations
        self._ensure_index()
        for sender, kind, said, custom in self._rows(start):
            turns = conversations.get(sender)
            if kind == "user":
                conversations.setdefault(sender, []).append(Turn(said or ""))
            elif turns and custom:
                custom = json.loads(custom) if isinstance(custom, str) else custom
                if isinstance(custom, dict):
                    turns[-1].customs.append(custom)
        return conversations

    def _rows(self, start: float) -> Iterator[tuple[str, str, str | None, Any]]:
        """(sender, user|bot, the patient's text, the reply's custom item), oldest first.

        SQLite and PostgreSQL take the two fields out of the JSON themselves
        and skip the replies without a custom item: parsing every event's
        JSON in Python (a patient message carries its whole NLU parse) takes
        most of the time otherwise. Other databases are read as Rasa wrote them.
        """
        fields = JSON_FIELDS.get(self.engine.dialect.name)
        if fields is None:
            yield from self._parsed_rows(start)
            return
        with self.engine.connect() as connection:
            yield from connection.execute(text(window_query(*fields)), {"start": start})

    def _parsed_rows(self, start: float) -> Iterator[tuple[str, str, str | None, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT sender_id, type_name, data FROM events "
                    "WHERE timestamp >= :start AND type_name IN ('user', 'bot') "
                    "ORDER BY timestamp"
                ),
                {"start": start},
            )
            for sender, kind, data in rows:
                event = json.loads(data)
                custom = (event.get("data") or {}).get("custom") if kind == "bot" else None
                yield sender, kind, event.get("text"), custom


# How a database takes the patient's text and the reply's custom item (as JSON text) out
# of an event's JSON; a JSON null is SQL NULL in both.
JSON_FIELDS = {
    "sqlite": ("json_extract(data, '$.text')", "json_extract(data, '$.data.custom')"),
    "postgresql": ("CAST(data AS json) ->> 'text'", "CAST(data AS json) -> 'data' ->> 'custom'"),
}


def window_query(said: str, custom: str) -> str:
    """The window's patient messages and custom items, by the timestamp index, oldest first."""
    return (
        f"SELECT sender_id, type_name, {said}, {custom} FROM ("
        "SELECT sender_id, type_name, timestamp, data FROM events "
        "WHERE timestamp >= :start AND type_name IN ('user', 'bot')) AS window_events "
        f"WHERE type_name = 'user' OR {custom} IS NOT NULL ORDER BY timestamp"
    )


def classify(turn: Turn, following: Turn | None) -> str:
    """One of REPLY_CLASSES for a typed message, given the patient's next turn (if any)."""
    kinds = {custom.get("kind") for custom in turn.customs}
    if "emergency" in kinds:
        return "emergency"
    if "handoff" in kinds:
        return "handoff"
    result = outcome(turn.customs)
    if result == ANSWERED and "answer" in kinds:
        return "answered"
    if result == FAILED:
        return "fallback"
    if result == CLARIFIED:
        taken = following is not None and any(
            custom.get("kind") == "answer" for custom in following.customs
        )
        return "answered_after_choice" if taken else "clarify_not_taken"
    if "smalltalk" in kinds:
        return "smalltalk"
    return "other"


def tally(conversations: dict[str, list[Turn]]) -> tuple[Counter[str], Counter[str], list[str]]:
    """Typed messages by REPLY_CLASSES, answers by topic, and the unanswered messages' texts."""
    replies: Counter[str] = Counter()
    answered_topics: Counter[str] = Counter()
    unanswered: list[str] = []
    for turns in conversations.values():
        for index, turn in enumerate(turns):
            for custom in turn.customs:
                if custom.get("kind") == "answer" and custom.get("topic"):
                    answered_topics[custom["topic"]] += 1
            if not turn.typed:
                continue
            following = turns[index + 1] if index + 1 < len(turns) else None
            kind = classify(turn, following)
            replies[kind] += 1
            if kind in ("fallback", "clarify_not_taken"):
                unanswered.append(turn.text)
    return replies, answered_topics, unanswered


@dataclass
class InsightsReader:
    """Everything the insights read; `compute` reads them for one window."""

    conversations: ConversationReader
    handoffs: HandoffStore
    feedback: FeedbackStore
    content_dir: Path | None = None
    review_months: int | None = None

    def __post_init__(self) -> None:
        self._turns = ConversationTurns(self.conversations)
        self._content: ContentStore | None = None

    def content(self) -> Content:
        """The answers as the action server serves them, reloaded when their files change."""
        if self._content is None:
            self._content = ContentStore(self.content_dir or settings().content_dir)
        return self._content.content

    def compute(self, days: int, now: dt.datetime | None = None) -> dict[str, Any]:
        """The insights of the last `days` days up to `now` (naive UTC), as the API returns them."""
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        now = now or utcnow()
        start = now - dt.timedelta(days=days)
        start_unix = start.replace(tzinfo=dt.timezone.utc).timestamp()
        content = self.content()
        review_months = self.review_months or settings().content_review_months

        conversations = self._turns.since(start_unix)
        replies, answered_topics, unanswered = tally(conversations)
        messages = sum(replies.values())
        answered = replies["answered"] + replies["answered_after_choice"]

        return {
            "days": days,
            "since": start.isoformat() + "Z",
            "until": now.isoformat() + "Z",
            "conversations": len(conversations),
            "messages": messages,
            "answered": answered,
            "answer_rate": round(answered / messages, 4) if messages else None,
            "replies": {kind: replies[kind] for kind in REPLY_CLASSES},
            "unanswered": [group.as_dict() for group in group_questions(unanswered)],
            "unanswered_messages": len(unanswered),
            "topics": self._topics(content, answered_topics, start),
            "handoffs": self._handoffs(start),
            "stale_content": self._stale(content, now.date(), review_months),
            "review_months": review_months,
        }

    def _topics(
        self, content: Content, answered: Counter[str], start: dt.datetime
    ) -> list[dict[str, Any]]:
        ratings = {rated.topic: rated for rated in self.feedback.by_topic(since=start)}
        topics = sorted(set(content.answers) | set(answered) | set(ratings))
        rows = []
        for topic in topics:
            entry = content.answers.get(topic)
            rated = ratings.get(topic)
            up, down = (rated.up, rated.down) if rated else (0, 0)
            rows.append(
                {
                    "topic": topic,
                    "title": entry.title if entry else topic,
                    "answered": answered[topic],
                    "up": up,
                    "down": down,
                    "helpful_share": round(up / (up + down), 4) if up + down else None,
                }
            )
        return sorted(rows, key=lambda row: (-row["answered"], row["topic"]))

    def _handoffs(self, start: dt.datetime) -> dict[str, Any]:
        timings = self.handoffs.timings(start)

        def summary(selected: list) -> dict[str, Any]:
            waits = [
                (t.resolved_at - t.created_at).total_seconds()
                for t in selected
                if t.status == RESOLVED and t.resolved_at is not None
            ]
            return {
                "count": len(selected),
                "open": sum(t.status != RESOLVED for t in selected),
                "resolved": len(waits),
                "median_seconds": rounded(statistics.median(waits)) if waits else None,
                "p90_seconds": rounded(percentile(waits, 0.9)),
            }

        reasons = list(REASONS) + sorted({t.reason for t in timings} - set(REASONS))
        return {
            "total": summary(timings),
            "by_reason": [
                {"reason": reason, **summary([t for t in timings if t.reason == reason])}
                for reason in reasons
            ],
        }

    @staticmethod
    def _stale(content: Content, today: dt.date, months: int) -> list[dict[str, Any]]:
        due_before = months_before(today, months)
        stale = [
            {
                "topic": answer.topic,
                "title": answer.title,
                "reviewed": answer.reviewed.isoformat(),
                "months_since_review": (today.year - answer.reviewed.year) * 12
                + today.month
                - answer.reviewed.month
                - (today.day < answer.reviewed.day),
            }
            for answer in content.answers.values()
            if answer.reviewed < due_before
        ]
        return sorted(stale, key=lambda row: (row["reviewed"], row["topic"]))


def table(insights: dict[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    """One of TABLES as a header and rows, for the CSV export."""
    if name == "unanswered":
        header = ["group", "count", "label", "terms", "example_1", "example_2", "example_3"]
        rows = []
        for number, group in enumerate(insights["unanswered"], start=1):
            examples = list(group["examples"]) + [""] * (3 - len(group["examples"]))
            rows.append(
                [number, group["count"], group["label"], " ".join(group["terms"]), *examples[:3]]
            )
        return header, rows
    if name == "topics":
        header = ["topic", "title", "answered", "up", "down", "helpful_share"]
        return header, [[row[key] for key in header] for row in insights["topics"]]
    if name == "handoffs":
        header = ["reason", "count", "open", "resolved", "median_seconds", "p90_seconds"]
        everything = [{"reason": "all", **insights["handoffs"]["total"]}]
        return header, [
            [row[key] for key in header] for row in insights["handoffs"]["by_reason"] + everything
        ]
    if name == "stale_content":
        header = ["topic", "title", "reviewed", "months_since_review"]
        return header, [[row[key] for key in header] for row in insights["stale_content"]]
    raise ValueError(f"table must be one of {', '.join(TABLES)}")


# A cell a spreadsheet would run as a formula: patients' texts are untrusted.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_csv(insights: dict[str, Any], name: str) -> str:
    """One of TABLES as CSV; a text cell that starts like a formula is prefixed with '."""
    header, rows = table(insights, name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
                for cell in row
            ]
        )
    return out.getvalue()
