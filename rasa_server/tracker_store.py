"""Rasa's SQL tracker store, without reading a conversation back on every message.

On every message Rasa's `SQLTrackerStore` reads the conversation's events,
parses their JSON and rebuilds them as objects, then counts the rows again
before it saves: under load, about a third of the Rasa server's CPU.

`CachedSQLTrackerStore` writes exactly the same rows to the same `events`
table, so `rasa export`, the privacy tools and a plain `SQLTrackerStore` read
it unchanged. It also keeps the latest session of recently active
conversations in memory. Before it trusts that copy it asks the database for
the conversation's row count and highest row id, one indexed query: if
anything else wrote or deleted rows (another Rasa server, a privacy deletion),
they differ, and it reads the database as Rasa does.

A conversation whose `forget_conversation` slot is set (the patient asked to
delete it and confirmed: actions/privacy.py) is deleted instead of saved.
Rasa saves a turn only after its actions ran, so a deletion by anyone else
during the turn would be undone by that save; here the turn that asked is
deleted with the rest.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from core.privacy import FORGET_SLOT

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 1000  # conversations; a session's events take tens of kB


@dataclass(frozen=True)
class Stamp:
    """How many rows a conversation has in the table, and the highest row id."""

    rows: int
    last_id: int | None


@dataclass(frozen=True)
class CachedSession:
    stamp: Stamp
    events: tuple[Event, ...]  # what Rasa's query for the latest session returns


def latest_session(events: Sequence[Event]) -> tuple[Event, ...]:
    """The events Rasa's SQL query returns: from the latest session start's timestamp on."""
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    if not starts:
        return tuple(events)
    start = max(starts)
    return tuple(event for event in events if event.timestamp >= start)


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` row Rasa's SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class CachedSQLTrackerStore(SQLTrackerStore):
    """`type: rasa_server.tracker_store.CachedSQLTrackerStore`, with SQLTrackerStore's settings.

    `cache_size` (default 1000) bounds how many conversations are kept in memory;
    the least recently active is dropped first, and is read from the database
    when it returns.
    """

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, CachedSession] = OrderedDict()
        table = self.SQLEvent.__table__
        self._insert = table.insert()
        self._stamp_query = sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )
        if self.engine.dialect.name == "sqlite":
            self._pool_sqlite_connections()

    def _pool_sqlite_connections(self) -> None:
        """Keeps SQLite connections open between messages, in write-ahead-log mode.

        SQLAlchemy 1.4 opens and closes a SQLite file for every session (NullPool):
        a tenth of the server's CPU per message. In WAL mode a commit writes the
        log once instead of a journal and the file (a quarter of the time), and
        readers never wait for writers.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            # The pool hands a connection to one session at a time, on any thread.
            connect_args={"check_same_thread": False},
        )
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")

    def _stamp(self, session: Any, sender_id: str) -> Stamp:
        rows, last_id = session.execute(self._stamp_query, {"sender_id": sender_id}).one()
        return Stamp(rows, last_id)

    def _remember(self, sender_id: str, stamp: Stamp, events: Iterable[Event]) -> CachedSession:
        session = CachedSession(stamp, latest_session(list(events)))
        self._cache[sender_id] = session
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return session

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session, from memory when the table shows nothing changed."""
        if self.domain is None:
            return await super().retrieve(sender_id)
        with self.session_scope() as session:
            # The stamp first: under READ COMMITTED a row written between the
            # two queries then makes the stamp stale, which only costs a re-read.
            stamp = self._stamp(session, sender_id)
            cached = self._cache.get(sender_id)
            if cached is None or cached.stamp != stamp:
                if not stamp.rows:
                    self._cache.pop(sender_id, None)
                    return None
                rows = self._event_query(session, sender_id, False).all()
                events = deserialise_events([json.loads(row.data) for row in rows])
                cached = self._remember(sender_id, stamp, events)
            else:
                self._cache.move_to_end(sender_id)
        return DialogueStateTracker.from_events(sender_id, cached.events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the events the table does not hold yet, as SQLTrackerStore does."""
        if tracker.get_slot(FORGET_SLOT):
            self.forget(tracker.sender_id)
            return
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        events = list(tracker.events)
        with self.session_scope() as session:
            stamp = self._stamp(session, sender_id)
            cached = self._cache.pop(sender_id, None)
            if not stamp.rows:
                base: int | None = 0
            elif cached is not None and cached.stamp == stamp and extends(events, cached.events):
                base = len(cached.events)
            else:
                base = None  # not what this store last read or wrote: count as Rasa does
            new = list(self._additional_events(session, tracker)) if base is None else events[base:]
            if new:
                session.execute(self._insert, [event_row(sender_id, event) for event in new])
            after = self._stamp(session, sender_id) if new else stamp
            session.commit()
        # Remember only what is known to be exactly the table's rows: not when
        # another writer's rows arrived meanwhile.
        if base is not None and after.rows == stamp.rows + len(new):
            self._remember(sender_id, after, events)
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def forget(self, sender_id: str) -> None:
        """Deletes every event of the conversation, in every session."""
        table = self.SQLEvent.__table__
        with self.session_scope() as session:
            session.execute(table.delete().where(table.c.sender_id == sender_id))
            session.commit()
        self._cache.pop(sender_id, None)
        logger.debug("A conversation was deleted at the patient's request")


def extends(events: Sequence[Event], prefix: Sequence[Event]) -> bool:
    """Whether `events` starts with exactly these event objects (a retrieved tracker, grown)."""
    return len(events) >= len(prefix) and all(a is b for a, b in zip(events, prefix, strict=False))
