"""The cached SQL tracker store reads and writes exactly what Rasa's SQLTrackerStore does."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_server.tracker_store import CachedSQLTrackerStore
from tools.processes import tracker_store_config

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask_risks]
slots:
  forget_conversation:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
  handoff_id:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
"""
)
SENDER = "patient-1"


def cached(path: Path, **kwargs: int) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path), **kwargs)


def plain(path: Path) -> SQLTrackerStore:
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))


def turn(text: str, at: float) -> list[Event]:
    return [
        UserUttered(text, {"name": "ask_risks", "confidence": 0.9}, timestamp=at),
        ActionExecuted("action_answer_topic", timestamp=at + 0.1),
        BotUttered(f"answer to {text}", {"custom": {"kind": "answer"}}, timestamp=at + 0.2),
        SlotSet("handoff_id", f"h-{at}", timestamp=at + 0.3),
        ActionExecuted("action_listen", timestamp=at + 0.4),
    ]


def session_start(at: float) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.01),
        ActionExecuted("action_listen", timestamp=at + 0.02),
    ]


async def converse(store: TrackerStore, turns: list[list[Event]]) -> None:
    """What Rasa's processor does each turn: retrieve (or start), add the turn's events, save."""
    for events in turns:
        tracker = await store.retrieve(SENDER) or DialogueStateTracker(SENDER, DOMAIN.slots)
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def rows(path: Path) -> list[tuple]:
    with sa.create_engine(f"sqlite:///{path}").connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT sender_id, type_name, timestamp, intent_name, action_name, data"
                " FROM events ORDER BY id"
            )
        ).all()


def dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


T0 = time.time() - 3600
# Two turns in a session, then a new session (it had expired) with one more turn.
CONVERSATION = [
    session_start(T0) + turn("hi", T0 + 1),
    turn("what are the risks", T0 + 2),
    session_start(T0 + 100) + turn("and the costs", T0 + 101),
    turn("thanks", T0 + 102),
]


async def test_writes_the_rows_rasas_store_writes(tmp_path: Path) -> None:
    await converse(plain(tmp_path / "rasa.db"), CONVERSATION)
    await converse(cached(tmp_path / "cached.db"), CONVERSATION)

    assert rows(tmp_path / "cached.db") == rows(tmp_path / "rasa.db")
    assert len(rows(tmp_path / "cached.db")) == 2 * 3 + 4 * 5


@pytest.mark.parametrize("turns", range(1, len(CONVERSATION) + 1))
async def test_reads_back_what_rasas_store_reads(tmp_path: Path, turns: int) -> None:
    store = cached(tmp_path / "t.db")
    await converse(store, CONVERSATION[:turns])

    remembered = await store.retrieve(SENDER)
    from_table = await plain(tmp_path / "t.db").retrieve(SENDER)

    assert dicts(remembered) == dicts(from_table)
    assert remembered.current_slot_values() == from_table.current_slot_values()
    if turns > 2:  # only the latest session, from its start on
        assert remembered.events[0] == SessionStarted(timestamp=T0 + 100.01)


async def test_a_remembered_conversation_is_not_read_back_from_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = cached(tmp_path / "t.db")
    await converse(store, CONVERSATION[:2])
    queries = count_calls(monkeypatch, store, "_event_query")

    await converse(store, CONVERSATION[2:])
    await store.retrieve(SENDER)

    assert queries() == 0


async def test_rows_another_server_wrote_are_read(tmp_path: Path) -> None:
    store, other = cached(tmp_path / "t.db"), plain(tmp_path / "t.db")
    await converse(store, CONVERSATION[:1])

    await converse(other, [turn("written elsewhere", T0 + 5)])  # another Rasa server's turn
    tracker = await store.retrieve(SENDER)

    assert tracker is not None
    assert tracker.latest_message.text == "written elsewhere"
    await converse(store, [turn("back here", T0 + 6)])
    assert dicts(await plain(tmp_path / "t.db").retrieve(SENDER)) == dicts(
        await store.retrieve(SENDER)
    )
    assert len(rows(tmp_path / "t.db")) == 3 + 5 * 3


async def test_a_deleted_conversation_is_gone(tmp_path: Path) -> None:
    store = cached(tmp_path / "t.db")
    await converse(store, CONVERSATION[:2])

    with sa.create_engine(f"sqlite:///{tmp_path / 't.db'}").begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": SENDER})

    assert await store.retrieve(SENDER) is None
    await converse(store, CONVERSATION[:1])  # the patient writes again: a new conversation
    assert len(rows(tmp_path / "t.db")) == 3 + 5


async def test_a_tracker_it_did_not_read_is_saved_as_rasa_saves_it(tmp_path: Path) -> None:
    store = cached(tmp_path / "t.db")
    await converse(store, CONVERSATION[:1])
    # e.g. a tracker built from the REST API's events: not the remembered objects
    tracker = await plain(tmp_path / "t.db").retrieve(SENDER)
    for event in turn("via the API", T0 + 7):
        tracker.update(event)

    await store.save(tracker)

    assert len(rows(tmp_path / "t.db")) == 3 + 5 + 5
    assert dicts(await store.retrieve(SENDER)) == dicts(tracker)


async def test_least_recently_active_conversations_are_dropped_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = cached(tmp_path / "t.db", cache_size=2)
    for sender in ("a", "b", "c"):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for event in session_start(T0) + turn(f"hello from {sender}", T0 + 1):
            tracker.update(event)
        await store.save(tracker)
    queries = count_calls(monkeypatch, store, "_event_query")

    assert (await store.retrieve("c")).latest_message.text == "hello from c"
    assert (await store.retrieve("b")).latest_message.text == "hello from b"
    assert queries() == 0
    assert (await store.retrieve("a")).latest_message.text == "hello from a"  # from the table
    assert queries() == 1


async def test_with_no_cache_every_read_comes_from_the_table(tmp_path: Path) -> None:
    store = cached(tmp_path / "cached.db", cache_size=0)
    await converse(store, CONVERSATION)
    await converse(plain(tmp_path / "rasa.db"), CONVERSATION)

    assert rows(tmp_path / "cached.db") == rows(tmp_path / "rasa.db")
    assert dicts(await store.retrieve(SENDER)) == dicts(
        await plain(tmp_path / "rasa.db").retrieve(SENDER)
    )


def test_sqlite_logs_ahead_of_writes(tmp_path: Path) -> None:
    cached(tmp_path / "t.db")
    with sa.create_engine(f"sqlite:///{tmp_path / 't.db'}").connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    "config",
    [
        tracker_store_config(sqlite_path=Path("var/data/trackers.db")),
        tracker_store_config(url="postgresql://app:secret@db.internal:5433/trackers"),
    ],
)
def test_the_assistant_is_configured_with_the_cached_store(config: dict) -> None:
    assert config["type"] == "rasa_server.tracker_store.CachedSQLTrackerStore"


def test_rasa_builds_the_store_from_its_endpoint_config(tmp_path: Path) -> None:
    config = tracker_store_config(sqlite_path=tmp_path / "t.db")
    endpoint = EndpointConfig(url=config.pop("url", None), **config)

    store = TrackerStore.create(endpoint, DOMAIN)

    assert isinstance(getattr(store, "_tracker_store", store), CachedSQLTrackerStore)


def count_calls(
    monkeypatch: pytest.MonkeyPatch, store: CachedSQLTrackerStore, name: str
) -> Callable[[], int]:
    calls = []
    original = getattr(store, name)
    monkeypatch.setattr(store, name, lambda *a, **k: calls.append(1) or original(*a, **k))
    return lambda: len(calls)


async def test_a_conversation_the_patient_asked_to_forget_is_deleted_not_saved(
    tmp_path: Path,
) -> None:
    """Rasa saves a turn after its actions ran: the turn that asked is deleted too."""
    store = cached(tmp_path / "cached.db")
    await converse(store, CONVERSATION)
    other = DialogueStateTracker("someone-else", DOMAIN.slots)
    other.update(UserUttered("hello", timestamp=T0))
    await store.save(other)

    tracker = await store.retrieve(SENDER)
    for event in [
        *turn("delete my conversation", T0 + 200),
        SlotSet("forget_conversation", True, timestamp=T0 + 201),
    ]:
        tracker.update(event)
    await store.save(tracker)

    assert await store.retrieve(SENDER) is None
    assert await plain(tmp_path / "cached.db").retrieve(SENDER) is None
    assert {row[0] for row in rows(tmp_path / "cached.db")} == {"someone-else"}
    # The next message starts a new conversation, kept as usual.
    await converse(store, [turn("hi again", T0 + 300)])
    assert len(dicts(await store.retrieve(SENDER))) == 5
