"""Retention and deletion of patient data, on a real Rasa SQL tracker store."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from core.handoffs import spool
from core.handoffs.store import HandoffStore
from core.privacy import PatientData, sent_to_staff
from tools.privacy import main as privacy_command

DAY = 86400


async def save_conversation(path: Path, sender: str, age_days: float) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    stamp = time.time() - age_days * DAY
    events = [UserUttered("I have glaucoma", timestamp=stamp), BotUttered("noted", timestamp=stamp)]
    await store.save(DialogueStateTracker.from_events(sender, events))


def count_events(path: Path, sender: str) -> int:
    from sqlalchemy import create_engine, text

    with create_engine(f"sqlite:///{path}").connect() as connection:
        return connection.execute(
            text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar()


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Path, HandoffStore, Path]:
    return (
        tmp_path / "trackers.db",
        HandoffStore(f"sqlite:///{tmp_path / 'h.db'}"),
        tmp_path / "s.jsonl",
    )


async def test_forget_deletes_one_patient_everywhere(stores: tuple) -> None:
    trackers, handoffs, spool_path = stores
    await save_conversation(trackers, "c-forget", 1)
    await save_conversation(trackers, "c-keep", 1)
    handoffs.create("c-forget", "contraindication", "I have glaucoma", "m-1", ["eye_pressure"])
    handoffs.create("c-keep", "user_request", "a human please", "m-1")
    spool.spool({"conversation_id": "c-forget", "reason": "user_request"}, spool_path)

    report = PatientData(f"sqlite:///{trackers}", handoffs, spool_path).forget("c-forget")

    assert (report.events, report.handoffs, report.spooled) == (2, 1, 1)
    assert count_events(trackers, "c-forget") == 0 and count_events(trackers, "c-keep") == 2
    assert [h.conversation_id for h in handoffs.list(status=None)] == ["c-keep"]
    assert handoffs.pending_count() == 1  # the kept request's notification only


async def test_forget_and_purge_delete_answer_ratings_too(stores: tuple) -> None:
    trackers, handoffs, spool_path = stores
    data = PatientData(f"sqlite:///{trackers}", handoffs, spool_path)
    data.feedback.rate("c-forget", "cost", "up")
    data.feedback.rate("c-keep", "cost", "down")
    data.feedback.rate("c-old", "cost", "down", at=dt.datetime(2000, 1, 1))

    assert data.forget("c-forget").ratings == 1
    assert data.purge(days=30).ratings == 1
    assert [r.conversation_id for r in data.feedback.ratings()] == ["c-keep"]


def test_requests_already_sent_to_staff_are_named(stores: tuple) -> None:
    _, handoffs, _ = stores
    assert sent_to_staff(handoffs, "c-1") == []  # no tables yet
    sent = handoffs.create("c-1", "user_request", "a person please", "m-1")
    handoffs.create("c-1", "user_request", "a person please", "m-2")
    handoffs.create("c-2", "user_request", "a person please", "m-1")
    for notification in handoffs.claim_due():
        if (
            notification.handoff_id == sent.id
            or notification.payload["handoff"]["conversation_id"] == "c-2"
        ):
            handoffs.mark_delivered(notification.id)
    assert sent_to_staff(handoffs, "c-1") == [sent.id]


async def test_purge_removes_old_conversations_and_resolved_requests_only(stores: tuple) -> None:
    trackers, handoffs, spool_path = stores
    await save_conversation(trackers, "c-old", 40)
    await save_conversation(trackers, "c-new", 1)
    old_resolved = handoffs.create("c-old", "user_request", "human", "m-1")
    old_open = handoffs.create("c-old", "contraindication", "pregnant", "m-2", ["pregnancy"])
    handoffs.resolve(old_resolved.id)
    with handoffs.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE handoffs SET created_at = '2000-01-01 00:00:00.000000'")

    report = PatientData(f"sqlite:///{trackers}", handoffs, spool_path).purge(days=30)

    assert (report.conversations, report.handoffs, report.open_handoffs_kept) == (1, 1, 1)
    assert count_events(trackers, "c-old") == 0 and count_events(trackers, "c-new") == 2
    assert [h.id for h in handoffs.list(status=None)] == [old_open.id]


def test_commands_work_before_any_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "none.db"))
    monkeypatch.setenv("HANDOFF_DB_URL", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("HANDOFF_SPOOL", str(tmp_path / "spool.jsonl"))
    assert privacy_command(["purge", "--days", "30"]) == 0
    assert "deleted 0 conversations" in capsys.readouterr().out
    assert privacy_command(["forget", "c-x"]) == 0
    assert privacy_command(["purge", "--days", "0"]) == 2
