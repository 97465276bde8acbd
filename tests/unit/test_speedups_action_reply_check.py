"""Rasa checks action server replies against its schema, compiled once."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

from rasa_server.patches import action_reply_check

action_reply_check.install()
ACTION = RemoteAction("action_answer_topic", None)
VALID = {"events": [{"event": "slot", "name": "topic", "value": "cost"}],
         "responses": [{"text": "It costs...", "custom": {"kind": "answer"}}]}  # fmt: skip


def test_a_valid_reply_passes() -> None:
    assert ACTION._validate_action_result(VALID) is True


def test_an_invalid_reply_is_refused_with_rasas_explanation() -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        ACTION._validate_action_result({"events": "not a list", "responses": []})


def test_the_schema_is_checked_once_not_per_reply(monkeypatch) -> None:
    action_reply_check.reply_validator.cache_clear()
    checks = []
    schema_class = validators.validator_for(RemoteAction.action_response_format_spec())
    original = schema_class.check_schema
    monkeypatch.setattr(
        schema_class, "check_schema", classmethod(lambda cls, s: checks.append(1) or original(s))
    )
    for _ in range(3):
        ACTION._validate_action_result(VALID)
    assert checks == [1]
