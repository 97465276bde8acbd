"""The ratings store: topic, up or down, time and conversation id; never message text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from core.feedback.store import FeedbackStore, RatingRow, TopicRatings


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(f"sqlite:///{tmp_path / 'handoffs.db'}")


def test_a_rating_keeps_topic_time_and_conversation_and_no_text(store: FeedbackStore) -> None:
    rating = store.rate("c-1", "cost", "up")
    assert store.ratings() == [rating]
    assert (rating.conversation_id, rating.topic, rating.rating) == ("c-1", "cost", "up")
    columns = {c["name"] for c in inspect(store.engine).get_columns(RatingRow.__tablename__)}
    assert columns == {"id", "conversation_id", "topic", "rating", "rated_at"}


def test_a_second_rating_of_the_same_topic_replaces_the_first(store: FeedbackStore) -> None:
    store.rate("c-1", "cost", "up")
    store.rate("c-1", "cost", "down")
    store.rate("c-2", "cost", "up")
    assert [(r.conversation_id, r.rating) for r in store.ratings()] == [
        ("c-1", "down"),
        ("c-2", "up"),
    ]
    assert store.by_topic() == [TopicRatings("cost", up=1, down=1)]


def test_only_up_or_down_is_a_rating(store: FeedbackStore) -> None:
    with pytest.raises(ValueError):
        store.rate("c-1", "cost", "meh")


def test_counts_per_topic_since_a_time(store: FeedbackStore) -> None:
    old = dt.datetime(2020, 1, 1)
    store.rate("c-1", "cost", "up", at=old)
    store.rate("c-2", "insurance", "down")
    store.rate("c-3", "insurance", "up")
    assert store.by_topic() == [TopicRatings("insurance", 1, 1), TopicRatings("cost", 1, 0)]
    assert store.by_topic(since=dt.datetime(2021, 1, 1)) == [TopicRatings("insurance", 1, 1)]


def test_forgetting_a_conversation_deletes_only_its_ratings(store: FeedbackStore) -> None:
    store.rate("c-1", "cost", "up")
    store.rate("c-1", "insurance", "down")
    store.rate("c-2", "cost", "up")
    assert store.forget_conversation("c-1") == 2
    assert [r.conversation_id for r in store.ratings()] == ["c-2"]


def test_purge_deletes_ratings_older_than_the_cutoff(store: FeedbackStore) -> None:
    store.rate("c-1", "cost", "up", at=dt.datetime(2020, 1, 1))
    store.rate("c-2", "cost", "up")
    assert store.purge(dt.datetime(2021, 1, 1)) == 1
    assert [r.conversation_id for r in store.ratings()] == ["c-2"]
