"""Short turns ("ok", "yes", "no", "stop") and the disclosure question, end to end over REST.

Before, an "ok" with nothing pending looped Rasa's core fallback until its
prediction limit (the same message ten times) and left the conversation dead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.contract import assert_follows_contract
from tests.server.conftest import send

pytestmark = pytest.mark.server

ACTS = ["yes", "no", "no thanks", "stop", "ok"]


def start(url: str, sender: str) -> None:
    """Nothing said yet."""


def after_answer(url: str, sender: str) -> None:
    send(url, sender, "what are the side effects of ketamine?")


def after_handoff(url: str, sender: str) -> None:
    send(url, sender, "can I talk to a real person?")


def after_declined_callback(url: str, sender: str) -> None:
    send(url, sender, "can I talk to a real person?")
    send(url, sender, "no thanks")


CONTEXTS: dict[str, Callable[[str, str], None]] = {
    "at the start": start,
    "after an answer": after_answer,
    "after a handoff": after_handoff,
    "after a declined callback": after_declined_callback,
}
# After a handoff, a yes or ok opens the callback form and a no or stop
# declines it (the request stays open); elsewhere one short smalltalk reply.
EXPECTED_AFTER_HANDOFF = {"yes": "ask", "ok": "ask", "no": "handoff", "no thanks": "handoff"}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("act", ACTS)
def test_a_short_turn_gets_one_reply_and_the_conversation_goes_on(
    assistant: str, context: str, act: str
) -> None:
    sender = f"turns-{uuid.uuid4()}"
    CONTEXTS[context](assistant, sender)
    reply = send(assistant, sender, act)
    customs = assert_follows_contract(reply, sender)
    texts = [item["text"] for item in reply if "text" in item]
    assert len(texts) == len(set(texts)), f"a message repeated: {texts}"
    expected = (
        EXPECTED_AFTER_HANDOFF.get(act, "handoff") if context == "after a handoff" else "smalltalk"
    )
    assert [c["kind"] for c in customs] == [expected], customs
    if expected == "ask":
        send(assistant, sender, "stop")  # leave the form before asking on
    after = assert_follows_contract(send(assistant, sender, "what is ketamine"), sender)
    assert after == [c for c in after if c["kind"] == "answer"] and after, after
    assert after[0]["topic"] == "ketamine_what_is"


def test_a_suspected_disclosure_is_asked_about_then_handed_off_on_yes(assistant: str) -> None:
    sender = f"confirm-{uuid.uuid4()}"
    said = "i have a health condition that might be a problem for this"
    customs = assert_follows_contract(send(assistant, sender, said), sender)
    assert customs == [
        {
            "kind": "confirm",
            "about": "disclosure",
            "options": ["/affirm", "/deny"],
            "language": "en",
        }
    ]
    handoffs = [
        c
        for c in assert_follows_contract(send(assistant, sender, "yes"), sender)
        if c["kind"] == "handoff"
    ]
    assert handoffs and handoffs[0]["reason"] == "contraindication"


def test_a_suspected_disclosure_denied_creates_no_handoff(assistant: str) -> None:
    sender = f"confirm-{uuid.uuid4()}"
    send(assistant, sender, "i have a health condition that might be a problem for this")
    customs = assert_follows_contract(send(assistant, sender, "no"), sender)
    assert [c["kind"] for c in customs] == ["smalltalk"]
    after = assert_follows_contract(send(assistant, sender, "how much does it cost"), sender)
    assert [c["kind"] for c in after] == ["answer"]
