"""Which messages over the rate limit the REST channel still lets through, and its 429.

The agent is a stand-in that answers what NLU and the tracker store would: the real server
does the same over HTTP in tests/server/test_rate_limits.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from core.rate_limit import ADDRESS, CONVERSATION, Verdict
from core.settings import settings
from rasa_server.rest_channel import DISCLOSURE_QUESTION, ClinicRestInput, must_answer, refusal

LISTEN = "action_listen"


class Agent:
    """Reads every message as `intent`; the conversation's bot actions are `actions`."""

    def __init__(self, intent: str, actions: tuple[str, ...] = ()) -> None:
        self.intent = intent
        self.parsed: list[str] = []
        self.tracker_store = self
        turns = [(UserUttered("hi"), ActionExecuted(a), ActionExecuted(LISTEN)) for a in actions]
        self.tracker = DialogueStateTracker.from_events("c-1", [e for turn in turns for e in turn])

    async def parse_message(self, text: str) -> dict:
        self.parsed.append(text)
        return {"intent": {"name": self.intent, "confidence": 0.9}}

    async def retrieve(self, sender: str) -> DialogueStateTracker:
        return self.tracker


def answered(agent: Agent, text: str) -> bool:
    return asyncio.run(must_answer(agent, "c-1", text))


def test_the_screen_lets_an_emergency_through_without_asking_nlu() -> None:
    agent = Agent("cost")
    assert answered(agent, "I want to kill myself")
    assert answered(agent, "I'm pregnant, can I have ketamine?")  # a disclosure
    assert agent.parsed == []


def test_what_only_the_model_recognises_goes_through_too() -> None:
    for intent, text in (
        ("emergency_crisis", "won't be needing my truck where I'm going"),
        ("disclose_condition", "there's something in my medical history, is that ok"),
    ):
        agent = Agent(intent)
        assert answered(agent, text) and agent.parsed == [text], "NLU read it"


def test_a_question_over_the_limit_is_refused() -> None:
    agent = Agent("cost")
    assert not answered(agent, "how much is it?")
    assert agent.parsed == ["how much is it?"]


def test_a_yes_goes_through_only_when_it_confirms_a_disclosure() -> None:
    assert answered(Agent("affirm", ("utter_answer", DISCLOSURE_QUESTION)), "/affirm")
    assert not answered(Agent("affirm", (DISCLOSURE_QUESTION, "utter_answer")), "yes")
    assert not answered(Agent("affirm"), "yes")


def test_the_refusal_is_a_429_with_a_json_error_and_retry_after() -> None:
    refused = refusal(Verdict(False, CONVERSATION, 30, 42), 60)
    assert refused.status == 429 and refused.headers["Retry-After"] == "42"
    error = json.loads(refused.body)["error"]
    assert error == (
        "too many messages: this conversation may send 30 every 60 seconds; try again in 42 seconds"
    )
    assert "this address" in json.loads(refusal(Verdict(False, ADDRESS, 300, 5), 60).body)["error"]


class Request:
    """What the channel reads of a Sanic request."""

    def __init__(self, agent: object, peer: str = "203.0.113.7") -> None:
        self.app = type("App", (), {"ctx": type("Ctx", (), {"agent": agent})})()
        self.ip = peer
        self.headers = type("Headers", (), {"getall": lambda _, name, default: default})()


@pytest.fixture
def channel(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClinicRestInput]:
    monkeypatch.setenv("RATE_LIMIT_PER_CONVERSATION", "1")
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS", "0")
    settings.cache_clear()
    yield ClinicRestInput()
    settings.cache_clear()


def test_the_channel_counts_in_the_tracker_store_s_database_and_refuses_with_429(
    channel: ClinicRestInput, tmp_path: Path
) -> None:
    agent = Agent("cost")
    agent.lock_store = None
    agent.engine = sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")  # the tracker store's
    assert asyncio.run(channel.over_limit(Request(agent), "c-1", "how much?")) is None
    refused = asyncio.run(channel.over_limit(Request(agent), "c-1", "how much?"))
    assert refused.status == 429


def test_a_failure_while_limiting_lets_the_message_through(
    channel: ClinicRestInput, tmp_path: Path
) -> None:
    class NluDown(Agent):
        async def parse_message(self, text: str) -> dict:
            raise ConnectionError("NLU is not ready")

    agent = NluDown("cost")
    agent.lock_store = None
    agent.engine = sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")
    assert asyncio.run(channel.over_limit(Request(agent), "c-1", "how much?")) is None
    assert asyncio.run(channel.over_limit(Request(agent), "c-1", "how much?")) is None
