"""Which topics a 'did you mean…?' offers, and when it falls back instead."""

from core.clarify import clarify_options

TOPICS = {"cost", "insurance", "booking", "onset"}


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_offers_close_topics_likeliest_first() -> None:
    offered = clarify_options(
        ranking(("nlu_fallback", 0.5), ("cost", 0.41), ("insurance", 0.39)), TOPICS
    )
    assert offered == ["cost", "insurance"]


def test_offers_at_most_three() -> None:
    pairs = [("cost", 0.4), ("insurance", 0.3), ("booking", 0.25), ("onset", 0.22)]
    assert clarify_options(ranking(*pairs), TOPICS) == ["cost", "insurance", "booking"]


def test_weak_topics_are_not_offered() -> None:
    assert clarify_options(ranking(("cost", 0.05), ("onset", 0.04)), TOPICS) == []


def test_out_of_scope_ranked_first_falls_back() -> None:
    assert clarify_options(ranking(("out_of_scope", 0.45), ("cost", 0.4)), TOPICS) == []


def test_smalltalk_below_a_topic_does_not_block_it() -> None:
    assert clarify_options(ranking(("cost", 0.45), ("greet", 0.4)), TOPICS) == ["cost"]
