"""Rate limits on the real Rasa server: 429 with a JSON error and Retry-After, and
emergencies and disclosures answered over the limit (README, "Rate limits").

The server of its own (`rate_limited_assistant`) allows 3 messages a conversation and 6
an address an hour; each test is its own client, named in X-Forwarded-For (127.0.0.1 is
a trusted proxy there). Counting on two replicas with Redis: tests/server/test_scale_out.py.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from core.safety.screen import default_screen
from tests.server.conftest import TEST_RATE_LIMITS

pytestmark = pytest.mark.server

PER_CONVERSATION = int(TEST_RATE_LIMITS["RATE_LIMIT_PER_CONVERSATION"])
PER_ADDRESS = int(TEST_RATE_LIMITS["RATE_LIMIT_PER_ADDRESS"])
QUESTION = "How much does ketamine therapy cost?"
_clients = itertools.count(1)


def new_client() -> str:
    """A client address of its own for one test (TEST-NET-2: only ever a header here)."""
    return f"198.51.100.{next(_clients)}"


def post(url: str, sender: str, message: str, client: str) -> requests.Response:
    return requests.post(
        url,
        json={"sender": sender, "message": message},
        headers={"X-Forwarded-For": client},
        timeout=30,
    )


def use_up_conversation(url: str, sender: str, client: str) -> None:
    for _ in range(PER_CONVERSATION):
        assert post(url, sender, QUESTION, client).status_code == 200


def stored_user_texts(tracker_db: Path, sender: str) -> list[str]:
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (sender,),
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def custom_items(reply: list[dict]) -> list[dict]:
    return [item["custom"] for item in reply if "custom" in item]


def test_a_conversation_over_its_limit_gets_429_with_a_json_error_and_retry_after(
    rate_limited_assistant: str, rate_limited_tracker_db: Path
) -> None:
    url, client, sender = rate_limited_assistant, new_client(), f"limit-{uuid.uuid4()}"
    use_up_conversation(url, sender, client)
    refused = post(url, sender, "and does insurance pay for it?", client)

    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("application/json")
    error = refused.json()["error"]
    assert "too many messages" in error and "this conversation" in error
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert f"{refused.headers['Retry-After']} seconds" in error
    # Nothing of the refused message reached the conversation.
    assert stored_user_texts(rate_limited_tracker_db, sender) == [QUESTION] * PER_CONVERSATION
    # Another conversation from the same client is not held back.
    assert post(url, f"limit-{uuid.uuid4()}", QUESTION, client).status_code == 200


def test_an_emergency_over_the_limit_is_answered_with_the_emergency(
    rate_limited_assistant: str, rate_limited_tracker_db: Path
) -> None:
    url, client, sender = rate_limited_assistant, new_client(), f"limit-{uuid.uuid4()}"
    use_up_conversation(url, sender, client)
    assert post(url, sender, QUESTION, client).status_code == 429

    answered = post(url, sender, "I want to kill myself tonight", client)
    assert answered.status_code == 200
    assert custom_items(answered.json())[0] == {
        "kind": "emergency",
        "category": "crisis",
        "language": "en",
    }
    assert stored_user_texts(rate_limited_tracker_db, sender)[-1] == (
        "I want to kill myself tonight"
    )


def test_an_emergency_only_the_model_recognises_is_answered_over_the_limit(
    rate_limited_assistant: str,
) -> None:
    """The screen's lexicon cannot list every way to say it: NLU reads it too."""
    message = "gave my dog and my truck to my brother, won't be needing them where i'm going"
    assert not default_screen().screen(message).is_safety_signal
    url, client, sender = rate_limited_assistant, new_client(), f"limit-{uuid.uuid4()}"
    use_up_conversation(url, sender, client)

    answered = post(url, sender, message, client)
    assert answered.status_code == 200
    assert custom_items(answered.json())[0] == {
        "kind": "emergency",
        "category": "crisis",
        "language": "en",
    }


def test_a_disclosure_over_the_limit_is_handed_off(rate_limited_assistant: str) -> None:
    url, client, sender = rate_limited_assistant, new_client(), f"limit-{uuid.uuid4()}"
    use_up_conversation(url, sender, client)
    assert post(url, sender, QUESTION, client).status_code == 429

    answered = post(url, sender, "I have schizophrenia, can I still have ketamine?", client)
    assert answered.status_code == 200
    handoffs = [c for c in custom_items(answered.json()) if c["kind"] == "handoff"]
    assert handoffs and handoffs[0]["reason"] == "contraindication"
    assert handoffs[0]["conditions"] == ["psychosis"]
    assert handoffs[0]["handoff_id"].startswith("h-")


def test_an_address_over_its_limit_gets_429_for_a_new_conversation_too(
    rate_limited_assistant: str,
) -> None:
    url, client = rate_limited_assistant, new_client()
    for _ in range(PER_ADDRESS):
        assert post(url, f"limit-{uuid.uuid4()}", QUESTION, client).status_code == 200
    refused = post(url, f"limit-{uuid.uuid4()}", QUESTION, client)
    assert refused.status_code == 429 and "this address" in refused.json()["error"]
    assert "Retry-After" in refused.headers
    assert post(url, f"limit-{uuid.uuid4()}", QUESTION, new_client()).status_code == 200

    emergency = post(url, f"limit-{uuid.uuid4()}", "my chest hurts and I can't breathe", client)
    assert emergency.status_code == 200
    assert custom_items(emergency.json())[0] == {
        "kind": "emergency",
        "category": "medical",
        "language": "en",
    }
