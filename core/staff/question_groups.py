"""Grouping the questions the assistant could not answer, so curators see what is missing.

Simple and explainable, and the same input always gives the same groups:

1. Questions that differ only in case, spacing or end punctuation are one
   question, counted as often as it was asked.
2. Each distinct question becomes a TF-IDF vector of its words and word
   pairs (scikit-learn), leaving out English and Spanish function words
   ("can", "the", "puedo"), so the telling words decide.
3. Average-linkage agglomerative clustering (SciPy's) joins groups while
   the mean cosine distance between their questions stays at most
   `MAX_DISTANCE`: questions share a group when they share telling words.

A group is named by its most asked question and shows its telling words
(the heaviest terms of its mean vector) and a few examples. Only the
`MAX_DISTINCT` most asked distinct questions are clustered (the work grows
with their square); rarer ones each stay a group of their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

MAX_DISTANCE = 0.8
MAX_DISTINCT = 2000
EXAMPLES = 3
TERMS = 3

# Words that say nothing about what was asked: scikit-learn's English list, and Spanish ones.
SPANISH_FUNCTION_WORDS = frozenset(
    {
        "a", "al", "algo", "como", "con", "cual", "cuando", "de", "del", "donde", "el", "ella",
        "en", "es", "esta", "este", "hay", "la", "las", "lo", "los", "me", "mi", "mis", "muy",
        "no", "o", "para", "pero", "por", "puedo", "puede", "que", "se", "si", "sin", "son",
        "su", "sus", "te", "tengo", "tiene", "un", "una", "uno", "y", "ya", "yo",
    }
)  # fmt: skip
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | SPANISH_FUNCTION_WORDS)

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t.,;:!?¡¿\"'()"


@dataclass(frozen=True)
class QuestionGroup:
    label: str  # the group's most asked question
    count: int  # how often its questions were asked
    examples: tuple[str, ...]  # its most asked distinct questions, label first
    terms: tuple[str, ...]  # the words that tie it together

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "count": self.count,
            "examples": list(self.examples),
            "terms": list(self.terms),
        }


def normalised(text: str) -> str:
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCTUATION).lower()


def group_questions(
    texts: Iterable[str], max_distance: float = MAX_DISTANCE, max_distinct: int = MAX_DISTINCT
) -> list[QuestionGroup]:
    """Groups of similar questions, the most asked group first."""
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}  # the spellings patients used, per question
    for text in texts:
        key = normalised(text)
        if key:
            counts[key] += 1
            shown.setdefault(key, Counter())[text.strip()] += 1
    if not counts:
        return []
    # Most asked first, then alphabetically: the order never depends on arrival.
    ranked = sorted(counts, key=lambda key: (-counts[key], key))
    clustered, rest = ranked[:max_distinct], ranked[max_distinct:]
    labels, vectors, names = _cluster(clustered, max_distance)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    groups = [
        _group([clustered[i] for i in indexes], counts, shown, _terms(vectors, indexes, names))
        for indexes in members.values()
    ]
    groups += [_group([key], counts, shown, ()) for key in rest]
    return sorted(groups, key=lambda group: (-group.count, group.label))


def _cluster(keys: list[str], max_distance: float) -> tuple[np.ndarray, object, np.ndarray]:
    if len(keys) == 1:
        return np.zeros(1, dtype=int), None, np.array([])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words=STOP_WORDS)
    try:
        vectors = vectorizer.fit_transform(keys)
    except ValueError:  # not one telling word in any question
        return np.arange(len(keys)), None, np.array([])
    # Rows are unit length: their dot product is the cosine similarity.
    distances = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    labels = fcluster(tree, t=max_distance, criterion="distance")
    return labels, vectors, vectorizer.get_feature_names_out()


def _terms(vectors: object, indexes: list[int], names: np.ndarray) -> tuple[str, ...]:
    if vectors is None or len(indexes) < 2:
        return ()
    weights = np.asarray(vectors[indexes].mean(axis=0)).ravel()
    best = sorted(np.flatnonzero(weights), key=lambda i: (-weights[i], names[i]))[:TERMS]
    return tuple(str(names[i]) for i in best)


def _group(
    keys: list[str], counts: Counter[str], shown: dict[str, Counter[str]], terms: tuple[str, ...]
) -> QuestionGroup:
    keys = sorted(keys, key=lambda key: (-counts[key], key))
    examples = tuple(_spelling(shown[key]) for key in keys[:EXAMPLES])
    return QuestionGroup(examples[0], sum(counts[key] for key in keys), examples, terms)


def _spelling(spellings: Counter[str]) -> str:
    """How patients wrote a question most often (ties: alphabetically)."""
    return min(spellings, key=lambda text: (-spellings[text], text))
