"""The REST channel's guarantees: clear 4xx for bad requests, never an empty reply."""

from __future__ import annotations

import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasa_server.rest_channel import MAX_MESSAGE_CHARS
from tests.contract import assert_follows_contract
from tests.server.conftest import PAGE_PORT, send

pytestmark = pytest.mark.server


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


def test_topic_question_with_action_server_down_says_to_call(
    assistant_without_actions: str,
) -> None:
    sender = f"down-{uuid.uuid4()}"
    reply = send(assistant_without_actions, sender, "how much does it cost?")
    assert {"kind": "fallback", "language": "en"} in assert_follows_contract(reply, sender)
    assert any("can't look that up right now" in item.get("text", "") for item in reply)


@pytest.mark.parametrize(
    "message",
    [
        "🙂🙂 ketamine??",
        "¿Qué es la ketamina y cuánto cuesta?",
        "<script>alert('x')</script> what is ketamine",
        "<b>bold</b> & <i>tags</i>",
        "'; DROP TABLE events; --",
        "a" * MAX_MESSAGE_CHARS,
        "\u202eevil bidi\u202c text",
    ],
)
def test_odd_messages_get_a_safe_reply(assistant: str, message: str) -> None:
    sender = f"odd-{uuid.uuid4()}"
    reply = send(assistant, sender, message)
    assert_follows_contract(reply, sender)
    assert not any("<script>" in item.get("text", "") for item in reply), "never echoed"


def test_a_100_kb_message_is_refused_with_413(assistant: str) -> None:
    body = {"sender": "c-big", "message": "ketamine " * 12_000}
    response = requests.post(assistant, json=body, timeout=30)
    assert response.status_code == 413 and "2000" in response.json()["error"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=st.text(max_size=300))
def test_any_text_gets_a_clear_4xx_or_a_contract_reply(assistant: str, message: str) -> None:
    sender = f"prop-{uuid.uuid4()}"
    response = requests.post(assistant, json={"sender": sender, "message": message}, timeout=30)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert_follows_contract(response.json(), sender)
    else:
        assert "error" in response.json()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=3)))  # fmt: skip
def test_any_json_body_gets_a_clear_answer(assistant: str, body: object) -> None:
    response = requests.post(assistant, json=body, timeout=30)
    assert response.status_code in (200, 400), response.text


def test_cors_allows_the_demo_page_and_nothing_else(assistant: str) -> None:
    body = {"sender": f"cors-{uuid.uuid4()}", "message": "hello"}
    page = f"http://localhost:{PAGE_PORT}"
    allowed = requests.post(assistant, json=body, headers={"Origin": page}, timeout=30)
    assert allowed.headers.get("Access-Control-Allow-Origin") == page
    other = requests.post(
        assistant, json=body, headers={"Origin": "https://evil.example"}, timeout=30
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def test_rasa_http_api_is_not_exposed(assistant: str) -> None:
    base = assistant.removesuffix("/webhooks/rest/webhook")
    response = requests.get(f"{base}/conversations/anyone/tracker", timeout=30)
    assert response.status_code in (403, 404)
