"""A TF-IDF weighted, linear intent model. Plain numpy/scipy/scikit-learn, no Rasa.

Patients write short, single questions. Over the same word and character
n-gram counts, a logistic-loss linear model is as accurate on the held-out
set as DIET without transformer layers (which only sees the same sentence
features) and trains in about a second on this 2-core machine instead of two
minutes. See BENCHMARKS.md.

A fitted model is only arrays, saved with `allow_pickle=False`: loading a
model file can never run code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import SGDClassifier


@dataclass(frozen=True)
class Prediction:
    intents: tuple[str, ...]  # best first
    confidences: tuple[float, ...]  # shares of the scores' sum: they add up to 1
    # Each intent's own one-against-the-rest probability, before the shares
    # are taken. A message unlike any training example scores low on every
    # intent, and its shares can still put one intent far ahead.
    scores: tuple[float, ...]


def _weights(counts: np.ndarray, features: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Sublinear term frequency (1 + log count) times the features' idf."""
    present = counts > 0
    return np.where(present, 1.0 + np.log(np.where(present, counts, 1.0)), 0.0) * idf[features]


def _tfidf(counts: sparse.spmatrix, idf: np.ndarray) -> sparse.csr_matrix:
    """`_weights` of every count, each row scaled to length 1."""
    weighted = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.data = _weights(weighted.data, weighted.indices, idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted)


def _stored(weights: np.ndarray) -> np.ndarray:
    """The weights in single precision, laid out feature by feature (column-major).

    A message's few features then read whole rows of `weights.T` in place,
    and the one array is all the server keeps: every Rasa process holds it,
    so double precision and a second, transposed copy cost about 100 MB over
    three processes. Single precision changes scores by about 1e-7.
    """
    return np.asfortranarray(weights, dtype=np.float32)


@dataclass(frozen=True)
class LinearIntentModel:
    intents: np.ndarray  # (n_intents,) names
    idf: np.ndarray  # (n_features,)
    # (n_intents, n_features), stored feature by feature in single precision:
    # see `_stored`.
    weights: np.ndarray
    bias: np.ndarray  # (n_intents,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _stored(self.weights))

    @classmethod
    def fit(
        cls,
        counts: sparse.spmatrix,
        labels: list[str],
        alpha: float = 1e-5,
        max_epochs: int = 50,
        seed: int = 42,
        class_weights: dict[str, float] | None = None,
    ) -> LinearIntentModel:
        """Fits one logistic-loss classifier per intent (one against the rest).

        Each stops early once its loss stops improving (scikit-learn's default
        tolerance), which on this data is after a few passes. `class_weights`
        weighs an intent's examples (default 1).
        """
        counts = sparse.csr_matrix(counts)
        documents = counts.shape[0]
        frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((1.0 + documents) / (1.0 + frequency)) + 1.0
        classifier = SGDClassifier(
            loss="log_loss",
            alpha=alpha,
            max_iter=max_epochs,
            tol=1e-3,
            random_state=seed,
            class_weight=class_weights,
        )
        classifier.fit(_tfidf(counts, idf), labels)
        weights, bias = classifier.coef_, classifier.intercept_
        if len(classifier.classes_) == 2:  # scikit-learn keeps one row for two classes
            weights, bias = np.vstack([-weights, weights]), np.concatenate([-bias, bias])
        return cls(np.asarray(classifier.classes_, dtype=str), idf, weights, bias)

    @property
    def _weights_by_feature(self) -> np.ndarray:
        # (n_features, n_intents) without a copy: a message's features pick
        # whole rows of it.
        return self.weights.T

    def predict(self, counts: sparse.spmatrix) -> list[Prediction]:
        """Each row's intents, best first, with probabilities that sum to 1.

        Row by row with plain numpy: the server predicts one message at a
        time, where scipy's sparse products cost more than the arithmetic.
        The result is `_tfidf(counts) @ weights + bias`.
        """
        counts = sparse.csr_matrix(counts, dtype=np.float64)
        counts.sum_duplicates()
        predictions = []
        for start, end in zip(counts.indptr[:-1], counts.indptr[1:], strict=True):
            features = counts.indices[start:end]
            weighted = _weights(counts.data[start:end], features, self.idf)
            norm = np.sqrt(weighted @ weighted) or 1.0
            scores = (weighted / norm) @ self._weights_by_feature[features] + self.bias
            predictions.append(self._ranked(expit(scores)))
        return predictions

    def _ranked(self, scores: np.ndarray) -> Prediction:
        shares = scores / scores.sum()
        order = np.argsort(-shares, kind="stable")
        return Prediction(
            tuple(str(i) for i in self.intents[order]),
            tuple(float(p) for p in shares[order]),
            tuple(float(p) for p in scores[order]),
        )

    def save(self, path: Path) -> None:
        with path.open("wb") as file:
            np.savez(file, intents=self.intents, idf=self.idf, weights=self.weights, bias=self.bias)

    @classmethod
    def load(cls, path: Path) -> LinearIntentModel:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["intents"], arrays["idf"], arrays["weights"], arrays["bias"])
