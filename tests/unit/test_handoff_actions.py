"""The handoff actions on real Tracker objects, with a real (temporary) handoff store."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff as handoff_actions
from actions.answers import ActionAnswerTopic
from actions.handoff import (
    ActionCreateHandoff,
    ActionDeclineCallback,
    ActionSaveCallback,
    AskCallbackContact,
    ValidateCallbackForm,
)
from core.handoffs import spool
from core.handoffs.store import HandoffStore
from tests.unit.patient_turns import customs, patient_turn, run


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HandoffStore:
    store = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}")
    monkeypatch.setattr(handoff_actions, "_store", store)
    return store


async def test_disclosed_schizophrenia_hands_off(store: HandoffStore) -> None:
    said = "I was diagnosed with schizophrenia, can I still do ketamine?"
    messages, events = await run(
        ActionCreateHandoff(), patient_turn(said, "disclose_condition", conditions=("psychosis",))
    )
    [stored] = store.list()
    assert customs(messages) == [
        {
            "kind": "handoff",
            "reason": "contraindication",
            "conditions": ["psychosis"],
            "handoff_id": stored.id,
            "language": "en",
        }
    ]
    assert stored.trigger_message == said and stored.conversation_id == "c-81f2"
    assert stored.transcript[0]["text"] == said
    assert any(m.get("buttons") for m in messages), "a callback is offered"
    assert {"event": "slot", "name": "handoff_id", "value": stored.id} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]
    assert any(e.get("name") == "contraindication_handoff" and e["value"] for e in events)


async def test_asking_for_a_person_hands_off_with_user_request(store: HandoffStore) -> None:
    messages, events = await run(
        ActionCreateHandoff(), patient_turn("can I talk to a human", "request_human")
    )
    [item] = customs(messages)
    assert item["reason"] == "user_request" and "conditions" not in item
    assert not any(e.get("name") == "contraindication_handoff" for e in events)


async def test_yes_to_the_disclosure_question_hands_off_the_confirmed_message(
    store: HandoffStore,
) -> None:
    suspected = "i have a condition that might be a problem for this"
    before = {
        "text": suspected,
        "message_id": "msg-0",
        "entities": [],
        "intent": {"name": "disclose_condition", "confidence": 0.8},
    }
    yes = {
        "text": "yes",
        "message_id": "msg-1",
        "entities": [],
        "intent": {"name": "affirm", "confidence": 1.0},
    }
    confirmed = Tracker(
        sender_id="c-81f2",
        slots={},
        latest_message=yes,
        events=[
            {"event": "user", "text": suspected, "message_id": "msg-0", "parse_data": before},
            {"event": "bot", "text": "Are you telling me about a health condition ...?"},
            {"event": "user", "text": "yes", "message_id": "msg-1", "parse_data": yes},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )  # fmt: skip
    messages, events = await run(ActionCreateHandoff(), confirmed)
    [stored] = store.list()
    assert (stored.reason, stored.conditions, stored.trigger_message) == (
        "contraindication",
        (),
        suspected,
    )
    assert customs(messages)[0]["reason"] == "contraindication"
    assert any(e.get("name") == "contraindication_handoff" and e["value"] for e in events)


@pytest.mark.parametrize(
    ("slot", "given", "kept"),
    [
        ("callback_contact", "512 555 0123", "(512) 555-0123"),
        ("callback_contact", "call me at home", None),
        ("callback_name", "Ana", "Ana"),
        ("callback_name", "what does it cost?", None),
        ("callback_time", "weekday mornings", "weekday mornings"),
    ],
)
def test_callback_details_are_validated(slot: str, given: str, kept: str | None) -> None:
    dispatcher = CollectingDispatcher()
    validate = getattr(ValidateCallbackForm(), f"validate_{slot}")
    assert validate(given, dispatcher, patient_turn(given, "inform"), {}) == {slot: kept}
    assert bool(dispatcher.messages) == (kept is None), "a bad value gets a clear re-ask"


async def test_callback_question_carries_ask_item() -> None:
    messages, _ = await run(AskCallbackContact(), patient_turn("yes", "affirm"))
    assert customs(messages) == [{"kind": "ask", "slot": "callback_contact", "language": "en"}]


async def test_saved_callback_reaches_the_store_and_leaves_the_tracker(store: HandoffStore) -> None:
    handoff = store.create("c-81f2", "contraindication", "I am pregnant", "m-1", ["pregnancy"])
    slots = {
        "handoff_id": handoff.id,
        "callback_name": "Ana",
        "callback_contact": "(512) 555-0123",
        "callback_time": "mornings",
    }
    messages, events = await run(
        ActionSaveCallback(), patient_turn("mornings", "inform", slots=slots)
    )
    saved = store.get(handoff.id)
    assert (saved.callback, saved.contact_phone, saved.callback_time) == (
        "requested",
        "(512) 555-0123",
        "mornings",
    )
    assert customs(messages)[0]["handoff_id"] == handoff.id
    assert all(e["value"] is None for e in events)


async def test_declined_callback_keeps_the_request_open(store: HandoffStore) -> None:
    handoff = store.create("c-81f2", "user_request", "human please", "m-1")
    messages, _ = await run(
        ActionDeclineCallback(), patient_turn("no thanks", "deny", slots={"handoff_id": handoff.id})
    )
    assert store.get(handoff.id).callback == "declined"
    assert store.get(handoff.id).status == "open"
    assert customs(messages)[0]["kind"] == "handoff"


async def test_after_a_handoff_booking_answers_remind_of_clinician_review() -> None:
    reminded, _ = await run(
        ActionAnswerTopic(),
        patient_turn("how do I book", "booking", slots={"contraindication_handoff": True}),
    )
    assert "clinician needs to review" in reminded[0]["text"]
    general, _ = await run(
        ActionAnswerTopic(),
        patient_turn(
            "what is ketamine", "ketamine_what_is", slots={"contraindication_handoff": True}
        ),
    )
    assert "clinician needs to review" not in general[0]["text"]


async def test_handoff_is_spooled_and_remembered_when_the_database_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        handoff_actions, "_store", HandoffStore("postgresql://nobody@127.0.0.1:9/x")
    )
    monkeypatch.setenv("HANDOFF_SPOOL", str(tmp_path / "spool.jsonl"))
    messages, events = await run(
        ActionCreateHandoff(),
        patient_turn("I have glaucoma", "disclose_condition", conditions=("eye_pressure",)),
    )
    [item] = customs(messages)
    assert item["handoff_id"].startswith("h-pending-") and item["conditions"] == ["eye_pressure"]
    assert any(e.get("name") == "contraindication_handoff" and e["value"] for e in events)
    [kept] = spool.pending(tmp_path / "spool.jsonl")
    assert kept["trigger_message"] == "I have glaucoma" and kept["conditions"] == ["eye_pressure"]
