"""When to offer a person: two turns in a row without a useful answer (core/escalation.py)."""

from __future__ import annotations

from typing import Any

from core import escalation
from core.escalation import CLARIFIED, FAILED, RATED_DOWN

ANSWER = {"kind": "answer", "topic": "cost", "sources": []}
FALLBACK = {"kind": "fallback"}
CLARIFY = {"kind": "clarify", "options": ["cost", "insurance"]}
DOWN = {"kind": "feedback", "rating": "down", "topic": "cost"}
UP = {"kind": "feedback", "rating": "up", "topic": "cost"}
OFFER = {"kind": "confirm", "about": "person", "options": ["/affirm", "/deny"]}
EMERGENCY = {"kind": "emergency", "category": "crisis"}
GREETING = {"kind": "smalltalk", "act": "greet"}


def events(*turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A conversation's events: each turn a patient message and the items it got,
    then the patient's latest message (not answered yet)."""
    out: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    for customs in turns:
        out.append({"event": "user", "text": "..."})
        out += [{"event": "bot", "text": None, "data": {"custom": c}} for c in customs]
    out.append({"event": "user", "text": "latest"})
    return out


def test_one_fallback_is_not_enough() -> None:
    assert not escalation.should_offer_person(events(), FAILED)
    assert not escalation.should_offer_person(events([ANSWER]), FAILED)


def test_two_fallbacks_in_a_row_offer_a_person() -> None:
    assert escalation.should_offer_person(events([FALLBACK]), FAILED)


def test_a_thumbs_down_after_a_fallback_offers_a_person() -> None:
    assert escalation.should_offer_person(events([FALLBACK], [ANSWER]), RATED_DOWN)


def test_one_thumbs_down_of_an_answer_is_one_unhelpful_turn() -> None:
    assert not escalation.should_offer_person(events([ANSWER]), RATED_DOWN)
    # Two answers, each rated down: two unhelpful exchanges in a row.
    assert escalation.should_offer_person(events([ANSWER], [DOWN], [ANSWER]), RATED_DOWN)


def test_a_clarify_counts_once_its_options_were_not_taken() -> None:
    # The clarify being sent now may still be taken: not yet.
    assert not escalation.should_offer_person(events([FALLBACK]), CLARIFIED)
    # A clarify not taken (the patient wrote something the assistant could not place).
    assert escalation.should_offer_person(events([CLARIFY]), FAILED)
    assert escalation.should_offer_person(events([CLARIFY]), CLARIFIED) is False
    assert escalation.should_offer_person(events([FALLBACK], [CLARIFY]), CLARIFIED)


def test_a_taken_clarify_option_or_any_good_turn_ends_the_run() -> None:
    assert not escalation.should_offer_person(events([FALLBACK], [ANSWER]), FAILED)
    assert not escalation.should_offer_person(events([FALLBACK], [UP]), FAILED)
    assert not escalation.should_offer_person(events([FALLBACK], [GREETING]), FAILED)


def test_emergencies_end_the_run_and_are_never_followed_by_the_offer() -> None:
    assert not escalation.should_offer_person(events([FALLBACK], [EMERGENCY]), FAILED)
    assert escalation.outcome([EMERGENCY, FALLBACK]) == escalation.OTHER


def test_the_offer_is_not_repeated_on_the_next_unhelpful_turn() -> None:
    assert not escalation.should_offer_person(events([FALLBACK], [FALLBACK, OFFER]), FAILED)
    assert escalation.should_offer_person(events([FALLBACK], [FALLBACK, OFFER], [FALLBACK]), FAILED)


def test_a_good_turn_is_never_followed_by_the_offer() -> None:
    assert not escalation.should_offer_person(events([FALLBACK], [FALLBACK]), escalation.ANSWERED)
