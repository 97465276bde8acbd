"""Choosing between 'did you mean…?' and 'I can't help with that'.

NLU's FallbackClassifier flags a message when its best intent is weak or the
two best are close. Then the assistant either offers the likeliest topics as
buttons (clarify) or says what it can help with (fallback). Plain Python so
the thresholds can be tested and tuned without Rasa.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# A topic needs at least this NLU confidence to be offered as a choice.
MIN_OPTION_CONFIDENCE = 0.2
MAX_OPTIONS = 3
# Intents that say "not a topic question": when one of them ranks above every
# topic, offering topics would only confuse the patient.
NON_TOPIC_INTENTS = {"out_of_scope", "greet", "goodbye", "thank", "bot_challenge"}


def clarify_options(
    intent_ranking: Iterable[Mapping[str, Any]],
    topics: Iterable[str],
    min_confidence: float = MIN_OPTION_CONFIDENCE,
    max_options: int = MAX_OPTIONS,
) -> list[str]:
    """The topics worth offering, likeliest first; empty means fall back."""
    topic_set = set(topics)
    options: list[str] = []
    for ranked in intent_ranking:
        name = ranked.get("name")
        confidence = float(ranked.get("confidence") or 0.0)
        if name in NON_TOPIC_INTENTS and not options:
            return []
        if name in topic_set and confidence >= min_confidence:
            options.append(name)
            if len(options) == max_options:
                break
    return options
