"""How a reply is scored against a labelled case (tools/evaluate_cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.evaluate_cases import Case, Conversation, Report, load_all, load_cases, outcome


def reply(*customs: dict) -> list[dict]:
    return [{"recipient_id": "x", "text": "..."}, *({"custom": c} for c in customs)]


def test_an_emergency_anywhere_in_the_reply_is_what_it_did() -> None:
    got = outcome(
        reply({"kind": "answer", "topic": "cost"}, {"kind": "emergency", "category": "crisis"})
    )
    assert got == "emergency:crisis"


def test_a_handoff_names_its_conditions_and_an_answer_its_topic() -> None:
    handoff = {"kind": "handoff", "reason": "contraindication", "conditions": ["liver"]}
    assert outcome(reply(handoff)) == "handoff:liver"
    assert outcome(reply({"kind": "answer", "topic": "cost"})) == "answer:cost"
    assert outcome(reply({"kind": "confirm", "about": "disclosure"})) == "confirm:disclosure"
    assert outcome([{"text": "nothing machine-readable"}]) == "none"


def test_report_counts_recall_false_alarms_and_accuracy() -> None:
    report = Report()
    report.add(Case("a", "emergency:crisis", "t"), "emergency:medical")  # caught, wrong category
    report.add(Case("b", "handoff:liver", "t"), "confirm:disclosure")  # asked, not handed off
    report.add(Case("c", "no_alarm", "t"), "handoff:liver")  # a false alarm
    report.add(Case("d", "out_of_scope", "t"), "answer:cost")
    report.add(Case("e", "topic:cost", "t"), "answer:cost")
    assert (report.emergency_recall.right, report.emergency_category.right) == (1, 0)
    assert (report.disclosure_recall.right, report.disclosure_confirmed) == (0, 1)
    assert (report.false_alarms.right, report.false_alarms.total) == (1, 3)
    assert report.out_of_scope.rate == 0.0 and report.topics.rate == 1.0
    assert len(report.misses) == 4


def test_an_unknown_expectation_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cases.yml"
    path.write_text('cases:\n  - text: "hi"\n    expect: maybe\n')
    with pytest.raises(ValueError, match="unknown expect"):
        load_cases(path)


def answer(topic: str) -> dict:
    return {"kind": "answer", "topic": topic, "sources": []}


def test_two_questions_are_right_only_with_both_answers_in_order() -> None:
    report = Report()
    case = Case("price and insurance?", "topics:cost,insurance", "t")
    assert report.add_reply(case, reply(answer("cost"), answer("insurance")))
    assert not report.add_reply(case, reply(answer("insurance"), answer("cost")))
    assert not report.add_reply(case, reply(answer("cost")))
    assert (report.two_part.right, report.two_part.total) == (1, 3)


def test_a_third_question_must_be_offered() -> None:
    report = Report()
    case = Case("price, insurance, risks?", "topics:cost,insurance,side_effects", "t")
    offered = {"kind": "clarify", "options": ["side_effects"]}
    assert report.add_reply(case, reply(answer("cost"), answer("insurance"), offered))
    assert not report.add_reply(case, reply(answer("cost"), answer("insurance")))


def test_a_second_answer_to_a_one_topic_question_is_counted_apart() -> None:
    report = Report()
    assert report.add_reply(
        Case("cost?", "topic:cost", "t"), reply(answer("cost"), answer("booking"))
    )
    assert report.extra_answers == 1 and report.topics.rate == 1.0


def test_conversations_are_read_turn_by_turn(tmp_path: Path) -> None:
    path = tmp_path / "conversations.yml"
    path.write_text(
        "cases:\n"
        "  - turns:\n"
        '      - {text: "side effects?", expect: "topic:side_effects"}\n'
        '      - {text: "are they permanent", expect: "topic:side_effects"}\n'
        '  - {text: "cost?", expect: "topic:cost"}\n'
    )
    conversation, single = load_all(path)
    assert isinstance(conversation, Conversation) and len(conversation.turns) == 2
    assert load_cases(path) == [single]
    report = Report()
    assert not report.add_turn(conversation.turns[1], reply(answer("relief_duration")))
    assert report.add_turn(conversation.turns[1], reply(answer("side_effects")))
    handoff = Case("i have glaucoma", "handoff", "t")
    assert report.add_turn(handoff, reply({"kind": "handoff", "conditions": ["eye_pressure"]}))
    assert (report.follow_up_turns.right, report.follow_up_turns.total) == (2, 3)
