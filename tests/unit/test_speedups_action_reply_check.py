"""Rasa checks the action server's replies against its schema, compiled once.

Each test runs a custom action the way the Rasa server does (`RemoteAction.run`,
with a stand-in for the action server's endpoint), so it fails if Rasa stopped
calling the function the speed-up replaces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_server.patches import action_reply_check

PATCH = action_reply_check.PATCH
VALID = {"events": [{"event": "slot", "name": "topic", "value": "cost"}],
         "responses": [{"text": "It costs...", "custom": {"kind": "answer"}}]}  # fmt: skip
INVALID = {"events": "not a list", "responses": []}


class ActionServer(EndpointConfig):
    """The action server's endpoint, answering `reply` without a network."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(url="http://action-server/webhook")
        self.reply = reply

    async def request(self, *_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return self.reply


def run_action(reply: dict[str, Any]) -> list[Event]:
    """What the Rasa server does to run a custom action whose server answers `reply`."""
    action = RemoteAction("action_answer_topic", ActionServer(reply))
    tracker = DialogueStateTracker.from_events("patient", [ActionExecuted("action_listen")])
    nlg = TemplatedNaturalLanguageGenerator({})
    return asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, Domain.empty()))


@pytest.fixture
def schema_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """Each time the reply schema itself is checked against the JSON Schema meta-schema."""
    action_reply_check.reply_validator.cache_clear()
    checks: list[dict] = []
    schema_class = validators.validator_for(RemoteAction.action_response_format_spec())
    check = schema_class.check_schema
    monkeypatch.setattr(
        schema_class, "check_schema", classmethod(lambda _cls, s: checks.append(s) or check(s))
    )
    yield checks
    action_reply_check.reply_validator.cache_clear()


def test_rasa_as_shipped_checks_the_schema_on_every_reply(
    unpatched: None, schema_checks: list[dict]
) -> None:
    for _ in range(3):
        run_action(VALID)
    assert len(schema_checks) == 3  # what the speed-up saves: ~60 ms each


def test_installed_rasa_checks_the_schema_once_for_every_reply(
    unpatched: None, schema_checks: list[dict]
) -> None:
    assert PATCH.install()
    for _ in range(3):
        run_action(VALID)
    assert len(schema_checks) == 1


def test_a_valid_reply_gives_rasas_events(unpatched: None) -> None:
    expected = run_action(VALID)
    assert PATCH.install()
    events = run_action(VALID)
    assert events == expected
    assert [type(e) for e in events] == [BotUttered, SlotSet]


def test_an_invalid_reply_is_refused_with_rasas_explanation(unpatched: None) -> None:
    with pytest.raises(ValidationError) as rasas:
        run_action(INVALID)
    assert PATCH.install()
    with pytest.raises(ValidationError) as ours:
        run_action(INVALID)
    assert "Failed to validate Action server response" in ours.value.message
    assert (ours.value.message, list(ours.value.path)) == (
        rasas.value.message,
        list(rasas.value.path),
    )


def test_on_another_rasa_version_rasa_checks_every_reply_as_shipped(
    unpatched: None,
    another_rasa_version: str,
    schema_checks: list[dict],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not PATCH.install()
    assert not PATCH.installed()
    assert f"this is rasa {another_rasa_version}" in caplog.text
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    for _ in range(3):
        run_action(VALID)
    assert len(schema_checks) == 3
