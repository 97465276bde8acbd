"""Held-out phrasings, never trained on, answered end to end through REST."""

from __future__ import annotations

import json

import pytest

from core.settings import PROJECT_ROOT
from tools.evaluate_holdout import evaluate, holdout_examples

pytestmark = pytest.mark.server

MIN_TOPIC_ACCURACY = 0.95
MIN_OUT_OF_SCOPE_FALLBACK = 0.90
# The held-out greetings and thanks are deliberately unusual ("that clears it
# up, much appreciated"); a miss there gets a clarify or fallback, not harm.
MIN_SMALLTALK = 0.75


def test_holdout_topics_and_out_of_scope_meet_targets(assistant: str) -> None:
    score = evaluate(assistant, holdout_examples())
    report = PROJECT_ROOT / "results" / "nlu_holdout.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(score.as_dict(), indent=2))
    print(
        f"\nheld-out: topics {score.topic_right}/{score.topic_total} "
        f"({score.topic_accuracy:.1%}), out-of-scope fallback "
        f"{score.out_of_scope_fallback}/{score.out_of_scope_total} "
        f"({score.out_of_scope_fallback_rate:.1%}); misses in {report}"
    )
    assert score.topic_accuracy >= MIN_TOPIC_ACCURACY, score.misses
    assert score.out_of_scope_fallback_rate >= MIN_OUT_OF_SCOPE_FALLBACK, score.misses
    assert score.smalltalk_right / score.smalltalk_total >= MIN_SMALLTALK, score.misses
