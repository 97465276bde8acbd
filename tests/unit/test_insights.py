"""Insights for curators, computed on a real SQLite tracker store filled by Rasa's own store."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from pathlib import Path
from unittest.mock import patch

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, inspect, text

from core.feedback.store import FeedbackStore
from core.handoffs.store import HandoffStore
from core.settings import CONTENT_DIR
from core.staff.insights import (
    JSON_FIELDS,
    ConversationTurns,
    InsightsReader,
    as_csv,
    months_before,
    table,
    window_query,
)
from core.staff.question_groups import group_questions
from core.staff.transcripts import ConversationReader

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)


def at(days_ago: float, seconds: float = 0) -> float:
    moment = NOW - dt.timedelta(days=days_ago) + dt.timedelta(seconds=seconds)
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


def reply(kind: str, stamp: float, **fields: object) -> list[BotUttered]:
    """A reply as the actions send it: a text, then the contract's custom item."""
    return [
        BotUttered("(the reply's text)", timestamp=stamp),
        BotUttered(None, data={"custom": {"kind": kind, **fields}}, timestamp=stamp),
    ]


async def save(path: Path, sender: str, turns: list[tuple[str, list[BotUttered]]]) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    events: list = []
    for said, replies in turns:
        stamp = replies[0].timestamp - 0.5
        events += [UserUttered(said, timestamp=stamp), *replies]
    await store.save(DialogueStateTracker.from_events(sender, events))


def answer(topic: str, stamp: float) -> list[BotUttered]:
    return reply("answer", stamp, topic=topic, sources=[])


def review(content: Path, topic: str, day: str) -> None:
    """Sets an answer's review date, and its translation's, as a curator does."""
    for path, key in (
        (content / "answers" / f"{topic}.yml", "reviewed"),
        (content / "es" / "answers" / f"{topic}.yml", "translated_from"),
    ):
        path.write_text(re.sub(rf"(?m)^{key}: .*$", f"{key}: {day}", path.read_text()))


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Path, HandoffStore, FeedbackStore, Path]:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    for path in (content / "answers").glob("*.yml"):  # all reviewed a month ago ...
        review(content, path.stem, "2026-05-15")
    for topic, day in (("cost", "2025-06-14"), ("dosing", "2024-01-02")):  # ... but two
        review(content, topic, day)
    handoffs = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}")
    return tmp_path / "trackers.db", handoffs, FeedbackStore(engine=handoffs.engine), content


def reader(stores: tuple) -> InsightsReader:
    trackers, handoffs, feedback, content = stores
    return InsightsReader(
        ConversationReader(f"sqlite:///{trackers}"), handoffs, feedback, content, review_months=12
    )


@pytest.fixture
async def conversations(stores: tuple) -> tuple:
    trackers = stores[0]
    await save(trackers, "answered-and-rated", [
        ("How much does it cost?", answer("cost", at(2))),
        ("/answer_helped", reply("feedback", at(2, 5), rating="up", topic="cost")),
    ])  # fmt: skip
    await save(trackers, "dog", [
        ("Can I bring my dog?", reply("fallback", at(3))),
        ("can I bring my dog", reply("fallback", at(3, 10))),
        ("Can my dog come with me?", reply("fallback", at(3, 20))),
    ])  # fmt: skip
    await save(trackers, "clarify-taken", [
        ("the side thing", reply("clarify", at(4), options=["side_effects", "dosing"])),
        ("/choose_topic", answer("side_effects", at(4, 5))),
    ])  # fmt: skip
    await save(trackers, "clarify-left", [
        ("the risk stuff?", reply("clarify", at(5), options=["side_effects", "addiction_risk"])),
        ("Is there parking for bicycles?", reply("fallback", at(5, 30))),
        ("is there parking for bicycles", reply("fallback", at(5, 40))),
    ])  # fmt: skip
    await save(trackers, "emergency", [
        ("I want to end it all", reply("emergency", at(1), category="crisis")),
        ("hello", reply("smalltalk", at(1, 5), act="greet")),
    ])  # fmt: skip
    await save(trackers, "two-topics", [
        ("How much is it and does insurance pay?",
         answer("cost", at(6)) + answer("insurance", at(6, 0.1))),
    ])  # fmt: skip
    await save(trackers, "too-old", [("an old unanswered question", reply("fallback", at(40)))])
    return stores


async def test_messages_are_classified_and_the_answer_rate_counts_typed_messages(
    conversations: tuple,
) -> None:
    found = reader(conversations).compute(30, now=NOW)
    # Typed: cost, 3 x dog, side thing, risk stuff, 2 x bicycles, end it all, hello, two topics.
    assert found["messages"] == 11 and found["conversations"] == 6
    assert found["replies"] == {
        "answered": 2,  # cost, two topics
        "answered_after_choice": 1,  # the side thing
        "fallback": 5,
        "clarify_not_taken": 1,  # the risk stuff
        "emergency": 1,
        "handoff": 0,
        "smalltalk": 1,
        "other": 0,
    }
    assert found["answered"] == 3 and found["answer_rate"] == round(3 / 11, 4)
    assert found["unanswered_messages"] == 6


async def test_unanswered_questions_are_grouped_with_counts_and_examples(
    conversations: tuple,
) -> None:
    groups = reader(conversations).compute(30, now=NOW)["unanswered"]
    assert [(g["label"], g["count"]) for g in groups] == [
        ("Can I bring my dog?", 3),
        ("Is there parking for bicycles?", 2),
        ("the risk stuff?", 1),
    ]
    dog = groups[0]
    assert dog["examples"] == ["Can I bring my dog?", "Can my dog come with me?"]
    assert "dog" in dog["terms"]
    everything = str(groups)
    assert "old unanswered" not in everything, "outside the window"
    assert "How much" not in everything and "end it all" not in everything


async def test_topics_count_answers_and_ratings_of_the_window(conversations: tuple) -> None:
    feedback = conversations[2]
    feedback.rate("a", "cost", "up", at=NOW - dt.timedelta(days=1))
    feedback.rate("b", "cost", "down", at=NOW - dt.timedelta(days=2))
    feedback.rate("c", "cost", "up", at=NOW - dt.timedelta(days=3))
    feedback.rate("d", "dosing", "down", at=NOW - dt.timedelta(days=60))  # before the window
    topics = {row["topic"]: row for row in reader(conversations).compute(30, now=NOW)["topics"]}
    assert topics["cost"] == {
        "topic": "cost", "title": topics["cost"]["title"], "answered": 2,
        "up": 2, "down": 1, "helpful_share": round(2 / 3, 4),
    }  # fmt: skip
    assert topics["side_effects"]["answered"] == 1 and topics["insurance"]["answered"] == 1
    assert topics["dosing"] == {**topics["dosing"], "answered": 0, "up": 0, "down": 0,
                                "helpful_share": None}  # fmt: skip
    ordered = [row["topic"] for row in reader(conversations).compute(30, now=NOW)["topics"]]
    assert ordered[0] == "cost", "the most answered first"


def test_handoffs_by_reason_with_median_and_90th_percentile_time_to_resolve(
    stores: tuple,
) -> None:
    handoffs = stores[1]
    minutes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    for number in range(len(minutes)):
        created = handoffs.create(f"c-{number}", "contraindication", "x", f"m-{number}")
        handoffs.resolve(created.id, note="called", by="sam")
    with handoffs.engine.begin() as connection:
        for number, wait in enumerate(minutes):
            connection.execute(
                text("UPDATE handoffs SET created_at = :c, resolved_at = :r WHERE id = :id"),
                {"c": NOW - dt.timedelta(days=1), "id": number + 1,
                 "r": NOW - dt.timedelta(days=1) + dt.timedelta(minutes=wait)},
            )  # fmt: skip
    handoffs.create("c-open", "user_request", "a person please", "m-open")
    with handoffs.engine.begin() as connection:
        connection.execute(text("UPDATE handoffs SET created_at = :c WHERE id = 11"),
                           {"c": NOW - dt.timedelta(hours=3)})  # fmt: skip
    old = handoffs.create("c-old", "user_request", "long ago", "m-old")
    with handoffs.engine.begin() as connection:
        connection.execute(text("UPDATE handoffs SET created_at = :c WHERE id = :id"),
                           {"c": NOW - dt.timedelta(days=45), "id": int(old.id[2:])})  # fmt: skip
    found = reader(stores).compute(30, now=NOW)["handoffs"]
    contraindication, person = found["by_reason"]
    assert contraindication == {"reason": "contraindication", "count": 10, "open": 0,
                                "resolved": 10, "median_seconds": 55 * 60.0,
                                "p90_seconds": 91 * 60.0}  # fmt: skip
    assert person == {"reason": "user_request", "count": 1, "open": 1, "resolved": 0,
                      "median_seconds": None, "p90_seconds": None}  # fmt: skip
    assert found["total"]["count"] == 11 and found["total"]["open"] == 1


def test_content_reviewed_longer_ago_than_the_setting_is_listed(stores: tuple) -> None:
    found = reader(stores).compute(30, now=NOW)
    assert found["review_months"] == 12
    assert [(row["topic"], row["reviewed"], row["months_since_review"])
            for row in found["stale_content"]] == [("dosing", "2024-01-02", 29),
                                                   ("cost", "2025-06-14", 12)]  # fmt: skip
    insights = InsightsReader(*[getattr(reader(stores), name) for name in (
        "conversations", "handoffs", "feedback", "content_dir")], review_months=24)  # fmt: skip
    assert [row["topic"] for row in insights.compute(30, now=NOW)["stale_content"]] == ["dosing"]


def test_a_month_back_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(dt.date(2026, 6, 15), 12) == dt.date(2025, 6, 15)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 10), 1) == dt.date(2025, 12, 10)


def test_no_tracker_store_yet_gives_empty_insights_without_creating_it(stores: tuple) -> None:
    found = reader(stores).compute(7, now=NOW)
    assert found["messages"] == 0 and found["answer_rate"] is None and found["unanswered"] == []
    assert not stores[0].exists()
    with pytest.raises(ValueError):
        reader(stores).compute(0, now=NOW)


async def test_the_window_query_reads_by_a_timestamp_index(conversations: tuple) -> None:
    reader(conversations).compute(30, now=NOW)
    engine = create_engine(f"sqlite:///{conversations[0]}")
    indexes = {
        index["name"]: index["column_names"] for index in inspect(engine).get_indexes("events")
    }
    assert indexes["ix_events_timestamp"] == ["timestamp"]
    with engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.execute(
                text("EXPLAIN QUERY PLAN " + window_query(*JSON_FIELDS["sqlite"])), {"start": 0}
            )
        )
    assert "ix_events_timestamp" in plan and "TEMP B-TREE" not in plan, plan


async def test_other_databases_parse_the_events_in_python_to_the_same_turns(
    conversations: tuple,
) -> None:
    turns = ConversationTurns(ConversationReader(f"sqlite:///{conversations[0]}"))
    start = at(30)
    by_sql = turns.since(start)
    with patch.dict(JSON_FIELDS, clear=True):
        assert turns.since(start) == by_sql
    assert [turn.text for turn in by_sql["clarify-taken"]] == ["the side thing", "/choose_topic"]
    assert by_sql["clarify-taken"][1].customs == [
        {"kind": "answer", "topic": "side_effects", "sources": []}
    ]


async def test_csv_tables_have_headers_and_neutralise_formulas(conversations: tuple) -> None:
    await save(conversations[0], "formula", [('=HYPERLINK("http://x")', reply("fallback", at(1)))])
    found = reader(conversations).compute(30, now=NOW)
    lines = as_csv(found, "unanswered").splitlines()
    assert lines[0] == "group,count,label,terms,example_1,example_2,example_3"
    assert lines[1].startswith("1,3,Can I bring my dog?,")
    assert any(line.split(",")[2].startswith("\"'=HYPERLINK") for line in lines)
    header, rows = table(found, "handoffs")
    assert header[0] == "reason" and [row[0] for row in rows] == [
        "contraindication", "user_request", "all"]  # fmt: skip
    assert as_csv(found, "stale_content").splitlines()[0] == (
        "topic,title,reviewed,months_since_review"
    )
    with pytest.raises(ValueError):
        table(found, "secrets")


def test_grouping_is_deterministic_and_keeps_unrelated_questions_apart() -> None:
    questions = [
        "Can I bring my dog?", "can i bring my dog", "Can my dog come with me?",
        "Can I pay in bitcoin?", "Do you take bitcoin?", "what is the weather tomorrow",
        "how is the weather today", "puedo traer a mi perro", "mi perro puede venir?", "?",
    ]  # fmt: skip
    groups = group_questions(questions)
    shuffled = questions[:]
    random.Random(7).shuffle(shuffled)
    assert group_questions(shuffled) == groups
    assert [(g.label, g.count) for g in groups] == [
        ("Can I bring my dog?", 3), ("Can I pay in bitcoin?", 2),
        ("how is the weather today", 2), ("mi perro puede venir?", 2),
    ]  # fmt: skip
    assert groups[0].examples == ("Can I bring my dog?", "Can my dog come with me?")
    assert groups[1].terms[0] == "bitcoin"
    assert group_questions([]) == [] and group_questions(["??"]) == []
    assert [g.label for g in group_questions(["a", "b"])] == ["a", "b"]
