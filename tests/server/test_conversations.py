"""Two-part questions and follow-ups, end to end over REST (tests/conversations.yml).

Each case is a new conversation with the real Rasa server and action server:
a follow-up ("are they permanent?") is read in the light of the last answer,
a new question or an emergency ignores it, and a message with two questions
gets two `answer` items in the order asked.
"""

from __future__ import annotations

import uuid

import pytest

from core.settings import PROJECT_ROOT
from tests.conftest import read_yaml
from tests.contract import assert_follows_contract, custom_items
from tests.server.conftest import send
from tools.evaluate_cases import Conversation, Report, load_all

pytestmark = pytest.mark.server

CASES_FILE = PROJECT_ROOT / "tests" / "conversations.yml"
CONVERSATIONS = load_all(CASES_FILE)
# The language every reply of a case must be in (`language:`, default English).
LANGUAGES = [case.get("language", "en") for case in read_yaml(CASES_FILE)["cases"]]


@pytest.mark.parametrize(
    ("case", "language"),
    list(zip(CONVERSATIONS, LANGUAGES, strict=True)),
    ids=lambda c: c.turns[0].text[:40] if isinstance(c, Conversation) else c,
)
def test_each_turn_is_read_in_its_conversation(
    assistant: str, case: Conversation, language: str
) -> None:
    sender = f"conv-{uuid.uuid4()}"
    report = Report()
    for index, turn in enumerate(case.turns):
        reply = send(assistant, sender, turn.text)
        assert_follows_contract(reply, sender, language=language)
        right = report.add_reply(turn, reply) if index == 0 else report.add_turn(turn, reply)
        assert right, report.misses


def test_two_answers_each_carry_their_sources_with_addresses(assistant: str) -> None:
    sender = f"conv-{uuid.uuid4()}"
    reply = send(assistant, sender, "What are the side effects? And is it FDA approved?")
    answers = [c for c in custom_items(reply) if c["kind"] == "answer"]
    assert [a["topic"] for a in answers] == ["side_effects", "fda_status"]
    for answer in answers:
        assert any(source["url"] for source in answer["sources"]), answer
    # Each answer's texts come before its own item: a page shows the sources under it.
    kinds = ["text" if "text" in item else item["custom"]["kind"] for item in reply]
    first = kinds.index("answer")
    assert kinds[0] == "text" and "text" in kinds[first + 1 : kinds.index("answer", first + 1)]


def test_a_follow_up_after_smalltalk_is_not_read_in_context(
    assistant: str,
) -> None:
    """A follow-up needs the last turn to be the answer: after "thanks", it stands alone."""
    sender = f"conv-{uuid.uuid4()}"
    send(assistant, sender, "what are the side effects of ketamine")
    send(assistant, sender, "thanks")
    reply = send(assistant, sender, "tell me more")
    assert [c["kind"] for c in custom_items(reply)] == ["fallback"]
