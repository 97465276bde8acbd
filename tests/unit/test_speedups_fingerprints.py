"""Training fingerprints: one hash a token or a sparse matrix, and still a fingerprint.

Rasa's training cache relies on two things of a fingerprint: equal content
gives an equal one, in every process, and different content a different one.
These check both for the replacements, through Rasa's own fingerprint of
featurized training data, and that only training installs them.
"""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from rasa_server import patches
from rasa_server.patches.fingerprints import features_fingerprint, token_fingerprint
from tests.unit.test_speedups_install import python

TOKEN = ("pain", 4, 8, "pain", {})
CHANGED_TOKENS = [
    ("Pain", 4, 8, "pain", {}),
    ("pain", 5, 8, "pain", {}),
    ("pain", 4, 9, "pain", {}),
    ("pain", 4, 8, "pains", {}),
    ("pain", 4, 8, "pain", {"pos": "NOUN"}),
]


def token(text: str, start: int, end: int, lemma: str, data: dict) -> Token:
    return Token(text, start, end, data=dict(data), lemma=lemma)


def sparse_features(matrix: sparse.spmatrix, origin: str = "count_vectors") -> Features:
    return Features(matrix, "sentence", "text", origin)


def test_equal_tokens_share_a_fingerprint_and_any_changed_field_changes_it() -> None:
    assert token_fingerprint(token(*TOKEN)) == token_fingerprint(token(*TOKEN))
    fingerprints = {token_fingerprint(token(*t)) for t in [TOKEN, *CHANGED_TOKENS]}
    assert len(fingerprints) == len(CHANGED_TOKENS) + 1


def test_a_token_fingerprint_is_the_same_in_another_process() -> None:
    """The cache is read by later trainings: nothing may depend on the process."""
    here = token_fingerprint(token("ketamin", 0, 7, "ketamin", {"pos": "NOUN"}))
    there = python(
        "-c",
        "from rasa.nlu.tokenizers.tokenizer import Token\n"
        "from rasa_server.patches.fingerprints import token_fingerprint\n"
        "t = Token('ketamin', 0, 7, data={'pos': 'NOUN'}, lemma='ketamin')\n"
        "print(token_fingerprint(t))",
        PYTHONHASHSEED="12345",
    )
    assert there.stdout.strip().splitlines()[-1] == here


def test_equal_sparse_features_share_a_fingerprint_and_changed_ones_do_not() -> None:
    matrix = sparse.coo_matrix(([1.0, 2.0], ([0, 0], [3, 7])), shape=(1, 10))
    same = sparse_features(sparse.coo_matrix(matrix.toarray()))
    assert features_fingerprint(sparse_features(matrix)) == features_fingerprint(same)
    changed = [
        sparse.coo_matrix(([1.0, 3.0], ([0, 0], [3, 7])), shape=(1, 10)),  # a value
        sparse.coo_matrix(([1.0, 2.0], ([0, 0], [3, 8])), shape=(1, 10)),  # a position
        sparse.coo_matrix(([1.0, 2.0], ([0, 0], [3, 7])), shape=(1, 11)),  # the shape
        sparse.coo_matrix(matrix, dtype=np.float32),  # the value type
    ]
    fingerprints = {features_fingerprint(sparse_features(m)) for m in [matrix, *changed]}
    assert len(fingerprints) == len(changed) + 1
    other_origin = sparse_features(matrix, origin="another_featurizer")
    assert features_fingerprint(other_origin) != features_fingerprint(sparse_features(matrix))


def test_dense_features_keep_rasas_fingerprint(unpatched: None) -> None:
    dense = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert features_fingerprint(sparse_features(dense)) == sparse_features(dense).fingerprint()


def featurized_training_data(texts: list[str], tmp_path: str) -> TrainingData:
    """Training data as the training graph fingerprints it: tokenized and counted."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), node_name="fingerprints")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("counts"), context
    )
    training = TrainingData([Message.build(text, "cost") for text in texts])
    tokenizer.process_training_data(training)
    featurizer.train(training)
    featurizer.process_training_data(training)
    return training


def test_rasas_fingerprint_of_featurized_training_data_still_tells_data_apart(
    unpatched: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert patches.install_for_training() == ["token_fingerprint", "features_fingerprint"]
    texts = ["how much does it cost", "what is the price", "is it expensive"]

    def fingerprint(texts: list[str]) -> str:
        return featurized_training_data(texts, tmp_path_factory.mktemp("m")).fingerprint()

    assert fingerprint(texts) == fingerprint(list(texts))
    assert fingerprint(texts) != fingerprint([*texts[:2], "is it expensive?"])


def test_only_training_installs_them() -> None:
    training = python("-m", "rasa_server", "train", "--help").stderr
    serving = python("-m", "rasa_server", "--version").stderr
    for name in ("token_fingerprint", "features_fingerprint"):
        assert f"Speed-up {name} installed" in training
        assert name not in serving
    for name in ("action_reply_check", "graph_runner", "sanic_workers"):
        assert name not in training  # the graph runner would skip the training hooks
        assert f"Speed-up {name} installed" in serving
