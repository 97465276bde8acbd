"""The REST channel's guarantees: clear 4xx for bad requests, never an empty reply."""

from __future__ import annotations

import uuid

import pytest
import requests

from channels.rest import MAX_MESSAGE_CHARS, RequestError, parse_request
from tests.contract import assert_follows_contract


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (["not", "an", "object"], 400, "JSON object"),
        ({"message": "hi"}, 400, "sender"),
        ({"sender": "", "message": "hi"}, 400, "sender"),
        ({"sender": 42, "message": "hi"}, 400, "sender"),
        ({"sender": "c-1"}, 400, "message"),
        ({"sender": "c-1", "message": 7}, 400, "message"),
        ({"sender": "c-1", "message": "   \n\t "}, 400, "empty"),
        ({"sender": "c-1", "message": "x" * (MAX_MESSAGE_CHARS + 1)}, 413, "at most"),
        ({"sender": "c-1", "message": "hi", "metadata": "x"}, 400, "metadata"),
    ],
)
def test_bad_request_is_refused_with_its_reason(body: object, status: int, says: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request(body)
    assert caught.value.status == status and says in str(caught.value)


def test_control_characters_are_removed_and_text_kept() -> None:
    assert parse_request({"sender": " c-1 ", "message": "is it\x00 safe?\x07"}) == (
        "c-1",
        "is it  safe?",
        None,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("data", "status"),
    [
        ("{not json", 400),
        ('{"sender": "c-1"}', 400),
        ('{"sender": "c-1", "message": ""}', 400),
        ('{"sender": "c-1", "message": "' + "a" * (MAX_MESSAGE_CHARS + 1) + '"}', 413),
    ],
)
def test_server_answers_bad_requests_with_4xx(assistant: str, data: str, status: int) -> None:
    response = requests.post(
        assistant, data=data, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.integration
def test_topic_question_with_action_server_down_says_to_call(
    assistant_without_actions: str,
) -> None:
    sender = f"down-{uuid.uuid4()}"
    reply = requests.post(
        assistant_without_actions,
        json={"sender": sender, "message": "how much does it cost?"},
        timeout=30,
    ).json()
    assert {"kind": "fallback"} in assert_follows_contract(reply, sender)
    assert any("can't look that up right now" in item.get("text", "") for item in reply)
