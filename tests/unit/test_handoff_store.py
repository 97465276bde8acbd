"""The handoff store keeps every request, and staff hear of each one exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.handoffs.notifier import WebhookNotifier, backoff
from core.handoffs.store import HandoffStore
from tests.conftest import handoffs_table_before_languages
from tests.staff_webhook import StaffWebhook
from tools.handoffs import main as staff_command


@pytest.fixture
def webhook() -> Iterator[StaffWebhook]:
    hook = StaffWebhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'handoffs.db'}"


def create(store: HandoffStore, key: str = "m-1") -> object:
    return store.create(
        conversation_id="c-81f2",
        reason="contraindication",
        conditions=["psychosis"],
        trigger_message="I was diagnosed with schizophrenia",
        trigger_key=key,
        transcript=[{"speaker": "patient", "text": "I was diagnosed with schizophrenia"}],
    )


def test_request_survives_a_restart(db_url: str) -> None:
    created = create(HandoffStore(db_url))
    reopened = HandoffStore(db_url)
    [kept] = reopened.list()
    assert kept == created
    assert kept.id == "h-000001" and kept.conditions == ("psychosis",) and kept.status == "open"


def test_database_file_and_folder_are_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "h.db"
    store = HandoffStore(f"sqlite:///{path}")
    assert store.list() == [] and path.is_file()


def test_store_can_be_opened_while_its_database_is_down() -> None:
    store = HandoffStore("postgresql://nobody@127.0.0.1:9/none")  # nothing listens there
    with pytest.raises(Exception, match=r"(?i)connect"):
        create(store)


def test_same_message_never_makes_two_requests(db_url: str) -> None:
    store = HandoffStore(db_url)
    assert create(store, "m-1") == create(store, "m-1")
    assert len(store.list()) == 1 and store.pending_count() == 1


def test_callback_details_are_stored_and_notified(db_url: str) -> None:
    store = HandoffStore(db_url)
    handoff = create(store)
    updated = store.record_callback(
        handoff.id, "requested", name="Ana", phone="(512) 555-0123", best_time="mornings"
    )
    assert (updated.contact_name, updated.contact_phone, updated.callback_time) == (
        "Ana",
        "(512) 555-0123",
        "mornings",
    )
    assert store.pending_count() == 2


def test_webhook_down_then_up_delivers_each_notification_exactly_once(
    db_url: str, webhook: StaffWebhook
) -> None:
    store = HandoffStore(db_url)
    notifier = WebhookNotifier(store, webhook.url)
    handoff = create(store)

    assert notifier.deliver_due() == 0  # webhook down: kept, retried later
    assert store.pending_count() == 1 and webhook.received == []
    assert notifier.deliver_due() == 0  # not due yet: backoff, no hammering

    webhook.up = True
    store.engine.dispose()
    restarted = WebhookNotifier(HandoffStore(db_url), webhook.url)  # survives a restart too
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE notifications SET next_attempt_at = '2000-01-01 00:00:00.000000'"
        )
    assert restarted.deliver_due() == 1
    assert restarted.deliver_due() == 0  # delivered: never sent again
    assert len(webhook.received) == 1
    assert webhook.received[0]["handoff"]["handoff_id"] == handoff.id
    assert webhook.keys == ["handoff-notification-1"]
    assert restarted.store.pending_count() == 0


def test_notification_has_no_conversation_text(db_url: str, webhook: StaffWebhook) -> None:
    webhook.up = True
    store = HandoffStore(db_url)
    create(store)
    WebhookNotifier(store, webhook.url).deliver_due()
    assert "schizophrenia" not in json.dumps(webhook.received)


def test_a_leased_notification_is_not_claimed_twice(db_url: str) -> None:
    store = HandoffStore(db_url)
    create(store)
    assert len(store.claim_due()) == 1
    assert store.claim_due() == []  # another action server finds it leased


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(30) == 300


def test_staff_command_lists_shows_and_resolves(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("HANDOFF_DB_URL", db_url)
    handoff = create(HandoffStore(db_url))
    assert staff_command(["list"]) == 0
    assert handoff.id in capsys.readouterr().out
    assert staff_command(["show", handoff.id]) == 0
    shown = capsys.readouterr().out
    assert "patient: I was diagnosed with schizophrenia" in shown and "psychosis" in shown
    assert staff_command(["resolve", handoff.id]) == 0
    capsys.readouterr()
    assert staff_command(["list"]) == 0
    assert "No open handoff requests" in capsys.readouterr().out
    assert staff_command(["show", "h-999999"]) == 2


# --- the patient's language (issue 15): staff call back in it ------------------


def test_a_spanish_request_keeps_its_language_across_a_restart(db_url: str) -> None:
    created = HandoffStore(db_url).create(
        "c-es", "contraindication", "tengo esquizofrenia", "m-1", ["psychosis"], language="es"
    )
    assert created.language == "es"
    assert HandoffStore(db_url).get(created.id).language == "es"


def test_a_caller_that_gives_no_language_makes_an_english_request(db_url: str) -> None:
    assert create(HandoffStore(db_url)).language == "en"


@pytest.mark.parametrize("language", ["fr", "ES", "spanish", "", None])
def test_a_language_the_assistant_does_not_speak_is_refused(db_url: str, language: object) -> None:
    store = HandoffStore(db_url)
    with pytest.raises(ValueError, match="unknown patient language"):
        store.create("c-1", "user_request", "hola", "m-1", language=language)
    assert store.list(status=None) == [] and store.pending_count() == 0


def test_the_webhook_payload_names_the_patients_language(
    db_url: str, webhook: StaffWebhook
) -> None:
    webhook.up = True
    store = HandoffStore(db_url)
    handoff = store.create(
        "c-es", "user_request", "quiero hablar con alguien", "m-1", language="es"
    )
    store.record_callback(handoff.id, "requested", name="Ana", phone="(512) 555-0123")
    create(store, "m-2")
    assert WebhookNotifier(store, webhook.url).deliver_due() == 3
    sent = [(n["event"], n["handoff"]["language"]) for n in webhook.received]
    assert sent == [
        ("handoff.created", "es"),
        ("callback.requested", "es"),
        ("handoff.created", "en"),
    ]


def test_a_database_from_before_languages_gets_the_column_and_its_requests_are_english(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    handoffs_table_before_languages(url)
    store = HandoffStore(url)
    assert store.get("h-000001").language == "en"
    assert store.create("c-2", "user_request", "hola", "m-1", language="es").language == "es"
    assert [h.language for h in HandoffStore(url).list()] == ["en", "es"]  # migrated once


def test_the_store_takes_every_language_the_assistant_speaks() -> None:
    from core import language, languages
    from core.handoffs import store

    assert [store.check_language(code) for code in languages.LANGUAGES] == ["en", "es"]
    assert set(languages.NAMES) == set(language.LANGUAGES.values())


def test_staff_command_says_which_language_to_call_back_in(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("HANDOFF_DB_URL", db_url)
    english = create(HandoffStore(db_url))
    spanish = HandoffStore(db_url).create(
        "c-es", "user_request", "quiero hablar con una persona", "m-1", language="es"
    )
    assert staff_command(["list"]) == 0
    lines = dict(line.split("  ", 1) for line in capsys.readouterr().out.splitlines())
    assert "Spanish (es)" in lines[spanish.id] and "English" not in lines[spanish.id]
    assert "English (en)" in lines[english.id] and "Spanish" not in lines[english.id]
    assert staff_command(["show", spanish.id]) == 0
    assert "language: Spanish (es), call back in Spanish" in capsys.readouterr().out.splitlines()
