"""Rasa's CountVectorsFeaturizer, counting n-grams without scikit-learn's per-call overhead.

In config.yml: `rasa_server.count_vectors.FastCountVectorsFeaturizer`, with
the same options as Rasa's CountVectorsFeaturizer, whose training, vocabulary
and saved model it keeps.

Rasa's featurizer calls `CountVectorizer.transform` twice per featurizer for
every message (each token, then the whole text) and converts each result to
COO. For a message of a dozen words, scikit-learn's input checks and
sparse-matrix construction cost far more than the counting: an eighth of the
Rasa server's CPU per message with our two featurizers. This one counts with
the same analyzer and vocabulary and builds the same COO matrices directly
(same shape, entries, order and dtypes).

With `sequence_features: false` it counts only the whole text. The token-level
(sequence) features serve entity extractors and DIET's transformer; our intent
model reads only the sentence-level ones, and nothing else in config.yml
reads features. Counting every token again took half of the featurizers'
time, in training (35 of 133 seconds of cold training with 27,000
examples) and for every message.

The counting stands in for Rasa's `_create_features`, so it runs only on the
versions it was written for and while that method is the one it was written
against (rasa_server/version_guard.py); otherwise, with a warning, Rasa's own
counting runs.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from rasa_server.version_guard import Original, Versions, refusal

logger = logging.getLogger(__name__)

WRITTEN_FOR = Versions(rasa="3.6.21", sanic="21.12.2", python="3.10")
# Rasa's counting, as this was written against it (with scikit-learn 1.1.3).
RASA_COUNTING = Original(CountVectorsFeaturizer, "_create_features", "1415c683267651b7")


@cache
def fast_counting_applies() -> bool:
    """Whether this Rasa counts as the one the fast counting was written for (checked once)."""
    reason = refusal(WRITTEN_FOR, [RASA_COUNTING])
    if reason is not None:
        logger.warning(
            "FastCountVectorsFeaturizer counts with Rasa's own code: %s. Correct, only slower.",
            reason,
        )
    return reason is None


def count_rows(vectorizer: CountVectorizer, documents: list[str]) -> sparse.coo_matrix:
    """`vectorizer.transform(documents)`, sorted and as COO, as Rasa uses it."""
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    rows: list[int] = []
    columns: list[int] = []
    values: list[int] = []
    for row, document in enumerate(documents):
        counts: dict[int, int] = {}
        for feature in analyze(document):
            column = vocabulary.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        for column in sorted(counts):
            rows.append(row)
            columns.append(column)
            values.append(1 if vectorizer.binary else counts[column])
    return sparse.coo_matrix(
        (
            np.asarray(values, dtype=vectorizer.dtype),
            (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32)),
        ),
        shape=(len(documents), len(vocabulary)),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class FastCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer: same options, vocabulary and features, counted faster."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's options, and whether to make the token-level features too (as Rasa does)."""
        return {**CountVectorsFeaturizer.get_default_config(), "sequence_features": True}

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[Any], list[Any]]:
        """Per message, a row per token (unless turned off) and a row for the whole text."""
        with_tokens = self._config["sequence_features"]
        if not fast_counting_applies():
            sequence, sentence = super()._create_features(attribute, all_tokens)
            return (sequence if with_tokens else [None] * len(sequence)), sentence
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [None], [None]
        sequence_features: list[Any] = []
        sentence_features: list[Any] = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(count_rows(vectorizer, tokens) if with_tokens else None)
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(count_rows(vectorizer, [" ".join(tokens)]))
            else:
                sentence_features.append(None)
        return sequence_features, sentence_features
