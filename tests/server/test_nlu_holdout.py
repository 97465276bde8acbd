"""Held-out phrasings, never trained on, answered end to end through REST."""

from __future__ import annotations

import json

import pytest

from core.settings import PROJECT_ROOT
from tools.evaluate_holdout import HOLDOUT_ES, evaluate, holdout_examples
from tools.topics import CATALOGUE_FILES, read_catalogue

pytestmark = pytest.mark.server

# Floors, measured and rounded down; the target for both is 95%
# (BENCHMARKS.md). The first 27 topics (shared/topics.yml) were at 95.9%;
# with the 14 added ones (shared/topics-added.yml) beside them, 93.9%: a few
# held-out questions now fall to an added topic that covers part of them
# ("do I sit in a chair or lie in a bed" is infusion_experience here,
# treatment_setting by the added catalogue). The added topics: 89.2%, and
# 94.6% after three more rounds of examples for them (the first 27 stayed
# at 93.9%); retraining on a little more data moves it by about 1 point.
MIN_TOPIC_ACCURACY = 0.92
MIN_ADDED_TOPIC_ACCURACY = 0.94
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
    first, added = ({t["id"] for t in read_catalogue([path])} for path in CATALOGUE_FILES)
    for topics, floor in ((first, MIN_TOPIC_ACCURACY), (added, MIN_ADDED_TOPIC_ACCURACY)):
        right = sum(score.per_topic[t][0] for t in topics)
        total = sum(score.per_topic[t][1] for t in topics)
        misses = [m for m in score.misses if m["expected"] in topics]
        assert right / total >= floor, (f"{right}/{total}", misses)
    assert score.out_of_scope_fallback_rate >= MIN_OUT_OF_SCOPE_FALLBACK, score.misses
    assert score.smalltalk_right / score.smalltalk_total >= MIN_SMALLTALK, score.misses


# Spanish (tests/data/nlu_holdout_es.yml, issue 15): written apart from the
# Spanish training examples by a writer who saw only the catalogues. Untuned
# (the model with Spanish emergency replies only): topics 71.8%, out of
# scope 96%, small talk 75%. With the Spanish answers and 750 more Spanish
# examples (21 held-out lines equal to a training line removed): 83.8%,
# 92%, 100%; with 580 more (neighbouring topics, long stories): 87.9%, 88%,
# 92.9%. With 2,900 more by six new writers (2026-12-02, a later session):
# 88.2%, 96%, 92.9%. Issue 15's target is 93% topics: still short.
MIN_SPANISH_TOPIC_ACCURACY = 0.86
MIN_SPANISH_OUT_OF_SCOPE_FALLBACK = 0.84
MIN_SPANISH_SMALLTALK = 0.85


def test_spanish_holdout_meets_its_floors(assistant: str) -> None:
    score = evaluate(assistant, holdout_examples(HOLDOUT_ES))
    report = PROJECT_ROOT / "results" / "nlu_holdout_es.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(score.as_dict(), indent=2))
    print(f"\nSpanish held-out: topics {score.topic_right}/{score.topic_total}; misses in {report}")
    assert score.topic_accuracy >= MIN_SPANISH_TOPIC_ACCURACY, score.misses
    assert score.out_of_scope_fallback_rate >= MIN_SPANISH_OUT_OF_SCOPE_FALLBACK, score.misses
    assert score.smalltalk_right / score.smalltalk_total >= MIN_SPANISH_SMALLTALK, score.misses
