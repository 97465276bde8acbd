"""Staff accounts, sessions, lockouts and the audit log (core/staff/), on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.handoffs.store import HandoffStore
from core.settings import settings
from core.staff.passwords import WeakPassword
from core.staff.store import BadCredentials, Locked, StaffStore
from core.staff.transcripts import ConversationReader
from tools.staff_user import main as staff_user

PASSWORD = "correct horse battery"
START = dt.datetime(2026, 11, 21, 9, 0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'handoffs.db'}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> StaffStore:
    store = StaffStore(db_url, now=clock)
    store.set_account("alice", "staff", PASSWORD)
    return store


def column(db_url: str, query: str) -> list:
    with create_engine(db_url).connect() as connection:
        return list(connection.execute(text(query)).scalars())


def test_passwords_are_stored_as_argon2id_hashes_never_as_text(store: StaffStore, db_url: str):
    [stored] = column(db_url, "SELECT password_hash FROM staff_accounts")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    store.login("alice", PASSWORD, "10.1.1.1")
    tokens = column(db_url, "SELECT token_hash || ' ' || csrf_hash FROM staff_sessions")
    assert all(len(part) == 64 for part in tokens[0].split())  # SHA-256, not the tokens


def test_short_passwords_unknown_roles_and_odd_logins_are_refused(store: StaffStore) -> None:
    with pytest.raises(WeakPassword):
        store.set_account("bob", "staff", "elevenchars")
    with pytest.raises(ValueError, match="role"):
        store.set_account("bob", "superuser", PASSWORD)
    with pytest.raises(ValueError, match="login"):
        store.set_account("bob smith", "staff", PASSWORD)


def test_updating_an_account_changes_its_role_and_ends_its_sessions(store: StaffStore) -> None:
    opened = store.login("alice", PASSWORD, "10.1.1.1")
    assert store.set_account("Alice", "admin", "another long password") is False
    assert store.session(opened.token) is None
    assert store.role_of("alice") == "admin"
    assert store.login("alice", "another long password", "10.1.1.1").role == "admin"


def test_a_session_carries_its_role_and_csrf_token(store: StaffStore) -> None:
    opened = store.login("alice", PASSWORD, "10.1.1.1")
    session = store.session(opened.token)
    assert (session.username, session.role) == ("alice", "staff")
    assert session.csrf_matches(opened.csrf_token)
    assert not session.csrf_matches("wrong") and not session.csrf_matches(None)
    assert store.session("not a token") is None


def test_a_session_expires_after_eight_idle_hours_and_use_keeps_it_open(
    store: StaffStore, clock: Clock
) -> None:
    opened = store.login("alice", PASSWORD, "10.1.1.1")
    clock.advance(hours=7, minutes=59)
    assert store.session(opened.token) is not None  # used: idle time starts again
    clock.advance(hours=7, minutes=59)
    assert store.session(opened.token) is not None
    clock.advance(hours=8, minutes=1)
    assert store.session(opened.token) is None
    assert store.session(opened.token) is None  # and stays ended


def test_logout_ends_the_session(store: StaffStore) -> None:
    opened = store.login("alice", PASSWORD, "10.1.1.1")
    store.logout(opened.token)
    assert store.session(opened.token) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(store: StaffStore, clock: Clock):
    for attempt in range(4):
        with pytest.raises(BadCredentials):
            store.login("alice", "wrong password!", f"10.0.0.{attempt}")
    with pytest.raises(Locked) as locked:
        store.login("alice", "wrong password!", "10.0.0.9")
    assert locked.value.until == START + dt.timedelta(minutes=15)
    clock.advance(minutes=14)
    with pytest.raises(Locked):
        store.login("alice", PASSWORD, "10.9.9.9")  # not even the right password
    clock.advance(minutes=1, seconds=1)
    assert store.login("alice", PASSWORD, "10.9.9.9").username == "alice"


def test_five_failures_from_one_address_lock_that_address(store: StaffStore, clock: Clock):
    store.set_account("bob", "staff", PASSWORD)
    for name in ("x1", "x2", "x3", "x4"):
        with pytest.raises(BadCredentials):
            store.login(name, "guess guess guess", "203.0.113.7")
    with pytest.raises(Locked):
        store.login("x5", "guess guess guess", "203.0.113.7")
    with pytest.raises(Locked):
        store.login("bob", PASSWORD, "203.0.113.7")
    assert store.login("bob", PASSWORD, "198.51.100.1").username == "bob"  # elsewhere: fine
    clock.advance(minutes=15, seconds=1)
    assert store.login("bob", PASSWORD, "203.0.113.7").username == "bob"


def test_a_success_clears_the_account_failures(store: StaffStore) -> None:
    for _ in range(4):
        with pytest.raises(BadCredentials):
            store.login("alice", "wrong password!", "10.0.0.1")
    store.login("alice", PASSWORD, "10.0.0.2")
    for _ in range(4):
        with pytest.raises(BadCredentials):
            store.login("alice", "wrong password!", "10.0.0.3")


def test_two_stores_on_one_database_share_sessions_and_lockouts(db_url: str, clock: Clock):
    """What two console replicas do: nothing is kept in one process's memory."""
    one, two = StaffStore(db_url, now=clock), StaffStore(db_url, now=clock)
    one.set_account("alice", "staff", PASSWORD)
    opened = one.login("alice", PASSWORD, "10.0.0.1")
    assert two.session(opened.token).username == "alice"
    for store in (one, two, one, two):
        with pytest.raises(BadCredentials):
            store.login("alice", "wrong password!", "10.0.0.1")
    with pytest.raises(Locked):
        two.login("alice", "wrong password!", "10.0.0.1")


def test_the_audit_log_lists_who_did_what_newest_first(store: StaffStore, clock: Clock) -> None:
    store.record("alice", "handoff.view", "h-000001")
    clock.advance(minutes=1)
    store.record("alice", "handoff.resolve", "h-000001")
    entries = [entry.as_dict() for entry in store.audit_log()]
    assert entries == [
        {"at": "2026-11-21T09:01:00Z", "username": "alice", "action": "handoff.resolve",
         "target": "h-000001"},
        {"at": "2026-11-21T09:00:00Z", "username": "alice", "action": "handoff.view",
         "target": "h-000001"},
    ]  # fmt: skip


def test_make_staff_user_reads_the_password_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("HANDOFF_DB_URL", db_url)
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    assert staff_user(["carol", "curator"]) == 0
    assert staff_user(["carol", "admin"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Created carol (curator).",
        "Updated carol (admin).",
    ]
    assert StaffStore(db_url).login("carol", PASSWORD, "10.0.0.1").role == "admin"
    monkeypatch.setenv("STAFF_PASSWORD", "too short")
    settings.cache_clear()
    assert staff_user(["dave", "staff"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert StaffStore(db_url).role_of("dave") is None


def test_make_staff_user_asks_for_the_password_twice(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_DB_URL", db_url)
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "something else!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert staff_user(["erin", "staff"]) == 0
    assert staff_user(["frank", "staff"]) == 2  # the two differ
    assert StaffStore(db_url).role_of("erin") == "staff"
    assert StaffStore(db_url).role_of("frank") is None


def test_resolving_keeps_who_and_the_note_and_lists_newest_first(db_url: str) -> None:
    handoffs = HandoffStore(db_url)
    for number, reason in enumerate(["contraindication", "user_request", "user_request"]):
        handoffs.create(f"c-{number}", reason, "hello", f"m-{number}")
    handoffs.resolve("h-000002", note="Called back, booked a consult", by="alice")
    resolved = handoffs.get("h-000002")
    assert (resolved.status, resolved.resolved_by) == ("resolved", "alice")
    assert resolved.resolution_note == "Called back, booked a consult"
    newest = handoffs.list(status=None, newest_first=True)
    assert [h.id for h in newest] == ["h-000003", "h-000002", "h-000001"]
    assert [h.id for h in handoffs.list(reason="user_request")] == ["h-000003"]


def test_a_handoff_database_from_before_the_console_gets_the_new_columns(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with create_engine(url).begin() as connection:  # the table as the first release made it
        connection.execute(text(
            "CREATE TABLE handoffs (id INTEGER PRIMARY KEY, conversation_id VARCHAR(255) NOT NULL,"
            " trigger_key VARCHAR(255) NOT NULL, reason VARCHAR(32) NOT NULL, conditions TEXT,"
            " trigger_message TEXT NOT NULL, transcript TEXT, created_at DATETIME NOT NULL,"
            " status VARCHAR(16) NOT NULL, resolved_at DATETIME, callback VARCHAR(16) NOT NULL,"
            " contact_name VARCHAR(200), contact_phone VARCHAR(40), contact_email VARCHAR(254),"
            " callback_time VARCHAR(200))"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO handoffs VALUES (1, 'c-1', 'm-1', 'user_request', '[]', 'hi', '[]',"
            " '2026-01-01 10:00:00', 'open', NULL, 'offered', NULL, NULL, NULL, NULL)"
        ))  # fmt: skip
    store = HandoffStore(url)
    resolved = store.resolve("h-000001", note="done", by="alice")
    assert (resolved.resolution_note, resolved.language) == ("done", "en")


async def test_the_transcript_is_read_from_rasas_sql_tracker_store(tmp_path: Path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "trackers.db"
    reader = ConversationReader(f"sqlite:///{path}")
    assert reader.transcript("c-1") is None and not path.exists()  # never creates the file
    stamp = time.time()
    events = [
        UserUttered("<b>I need a person</b>", timestamp=stamp),
        ActionExecuted("action_handoff", timestamp=stamp + 1),
        BotUttered("Someone will call you.", timestamp=stamp + 2),
    ]
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    await store.save(DialogueStateTracker.from_events("c-1", events))
    turns = reader.transcript("c-1")
    assert [(t["speaker"], t["text"]) for t in turns] == [
        ("patient", "<b>I need a person</b>"),
        ("assistant", "Someone will call you."),
    ]
    assert reader.transcript("c-unknown") is None
