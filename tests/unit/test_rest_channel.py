"""The REST channel reads a request: a clear 4xx for a bad one, the text cleaned of control
characters (the same requests over HTTP: tests/server/test_rest_channel.py)."""

from __future__ import annotations

import pytest

from rasa_server.rest_channel import MAX_MESSAGE_CHARS, RequestError, parse_request


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
