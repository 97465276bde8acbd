"""The linear intent model on its own, and as a Rasa component fed by real featurizers."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from scipy.special import expit

from core.intent_model import LinearIntentModel, _tfidf
from rasa_server.intent_classifier import INTENT_SCORES, LinearIntentClassifier, sentence_counts

EXAMPLES = {
    "cost": [
        "how much does it cost",
        "what is the price of an infusion",
        "is it expensive",
        "how much will I pay",
        "what are the fees",
    ],
    "side_effects": [
        "what are the side effects",
        "will I feel sick afterwards",
        "does it cause nausea",
        "side effects of ketamine",
        "is dizziness normal after it",
    ],
    "greet": ["hello", "hi there", "good morning", "hey", "hi"],
}


# --- the plain model ---------------------------------------------------------------


def counts(rows: list[list[float]]) -> sparse.csr_matrix:
    return sparse.csr_matrix(np.array(rows, dtype=float))


TOY = counts([[3, 0, 0, 1], [2, 1, 0, 1], [0, 0, 4, 1], [0, 1, 3, 1], [0, 2, 0, 1]])
TOY_LABELS = ["a", "a", "b", "b", "c"]


def test_predicts_the_intent_whose_features_it_shares() -> None:
    model = LinearIntentModel.fit(TOY, TOY_LABELS)
    best = [p.intents[0] for p in model.predict(counts([[5, 0, 0, 1], [0, 0, 2, 1]]))]
    assert best == ["a", "b"]


def test_ranking_is_best_first_and_confidences_sum_to_one() -> None:
    model = LinearIntentModel.fit(TOY, TOY_LABELS)
    for prediction in model.predict(TOY):
        assert sorted(prediction.intents) == ["a", "b", "c"]
        assert list(prediction.confidences) == sorted(prediction.confidences, reverse=True)
        assert sum(prediction.confidences) == pytest.approx(1.0)


def test_a_message_without_features_gets_finite_confidences() -> None:
    model = LinearIntentModel.fit(TOY, TOY_LABELS)
    (prediction,) = model.predict(counts([[0, 0, 0, 0]]))
    assert np.isfinite(prediction.confidences).all()
    assert sum(prediction.confidences) == pytest.approx(1.0)


def test_two_intents_give_complementary_confidences() -> None:
    model = LinearIntentModel.fit(TOY[:4], TOY_LABELS[:4])
    (prediction,) = model.predict(counts([[4, 0, 0, 1]]))
    assert prediction.intents[0] == "a"
    assert sum(prediction.confidences) == pytest.approx(1.0)


def test_row_by_row_prediction_is_the_matrix_product() -> None:
    model = LinearIntentModel.fit(TOY, TOY_LABELS)
    rows = counts([[5, 0, 0, 1], [0, 0, 2, 1], [0, 0, 0, 0], [1, 1, 1, 1]])
    scores = expit(_tfidf(rows, model.idf) @ model.weights.T + model.bias)
    shares = scores / scores.sum(axis=1, keepdims=True)

    for prediction, row_scores, row_shares in zip(model.predict(rows), scores, shares, strict=True):
        by_intent = dict(zip(prediction.intents, prediction.confidences, strict=True))
        assert [by_intent[i] for i in model.intents] == pytest.approx(row_shares, rel=1e-12)
        own = dict(zip(prediction.intents, prediction.scores, strict=True))
        assert [own[i] for i in model.intents] == pytest.approx(row_scores, rel=1e-12)


def test_training_is_deterministic() -> None:
    first = LinearIntentModel.fit(TOY, TOY_LABELS).predict(TOY)
    second = LinearIntentModel.fit(TOY, TOY_LABELS).predict(TOY)
    assert first == second


def test_saved_model_is_plain_arrays_and_loads_identically(tmp_path) -> None:
    model = LinearIntentModel.fit(TOY, TOY_LABELS)
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as arrays:  # raises on pickled objects
        assert all(arrays[name].dtype != object for name in arrays.files)
    assert LinearIntentModel.load(path).predict(TOY) == model.predict(TOY)


def test_weights_are_kept_once_in_single_precision_fitted_or_loaded(tmp_path) -> None:
    """Every Rasa process holds the weights: no double precision, no transposed copy."""
    fitted = LinearIntentModel.fit(TOY, TOY_LABELS)
    path = tmp_path / "model.npz"
    fitted.save(path)
    for model in (fitted, LinearIntentModel.load(path)):
        assert model.weights.dtype == np.float32
        by_feature = model._weights_by_feature
        assert by_feature.flags.c_contiguous
        assert np.shares_memory(by_feature, model.weights)
        model.predict(TOY)
        assert model.__dict__.keys() == {"intents", "idf", "weights", "bias"}


# --- the Rasa component --------------------------------------------------------------


@pytest.fixture
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context
    )
    chars = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "max_ngram": 4},
        storage,
        Resource("chars"),
        context,
    )
    training = TrainingData(
        [Message.build(text, intent) for intent, texts in EXAMPLES.items() for text in texts]
    )
    tokenizer.process_training_data(training)
    for featurizer in (words, chars):
        featurizer.train(training)
        featurizer.process_training_data(training)

    def featurize(texts: list[str]) -> list[Message]:
        messages = [Message({TEXT: text}) for text in texts]
        tokenizer.process(messages)
        words.process(messages)
        chars.process(messages)
        return messages

    return storage, context, training, featurize


def test_component_classifies_after_being_saved_and_loaded(pipeline) -> None:
    storage, context, training, featurize = pipeline
    resource = Resource("linear")
    config = {**LinearIntentClassifier.get_default_config(), "ranking_length": 2}
    LinearIntentClassifier.create(config, storage, resource, context).train(training)

    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    messages = loaded.process(featurize(["how much is the price", "side effect nausea", "hello"]))

    assert [m.get("intent")["name"] for m in messages] == ["cost", "side_effects", "greet"]
    for message in messages:
        ranking = message.get("intent_ranking")
        assert len(ranking) == 2 and ranking[0] == message.get("intent")
        assert 0.0 < ranking[1]["confidence"] <= ranking[0]["confidence"] <= 1.0
        # Every intent's own score reaches the safety screen, outside the parse output.
        scores = message.get(INTENT_SCORES)
        assert set(scores) == {"cost", "side_effects", "greet"}
        assert 0.0 < scores[ranking[0]["name"]] < 1.0
        assert INTENT_SCORES not in message.as_dict(only_output_properties=True)


def test_component_reads_only_sentence_features(pipeline) -> None:
    *_, featurize = pipeline
    (message,) = featurize(["what are the side effects"])
    row = sentence_counts([message])
    _, sentence = message.get_sparse_features(TEXT)
    assert row.shape == (1, sentence.features.shape[1])
    assert (row != sparse.csr_matrix(sentence.features)).nnz == 0


def test_messages_become_one_row_each_even_without_text(pipeline) -> None:
    *_, featurize = pipeline
    first, second = featurize(["what are the side effects", "hello"])
    empty = Message(data={})
    width = sentence_counts([first]).shape[1]

    rows = sentence_counts([first, empty, second], width)

    assert rows.shape == (3, width)
    assert rows[1].nnz == 0
    assert (rows[0] != sentence_counts([first])).nnz == 0
    assert (rows[2] != sentence_counts([second])).nnz == 0


def test_component_refuses_to_train_without_examples(tmp_path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.create({}, storage, Resource("linear"), context)
    with pytest.raises(ValueError, match="no intent examples"):
        component.train(TrainingData([]))


def test_a_weighted_intent_wins_more_of_the_examples_between_two() -> None:
    """`class_weights` tilts the model toward an intent (config.yml weighs emergencies double)."""
    from scipy import sparse

    from core.intent_model import LinearIntentModel

    # Feature 0 says "a", feature 1 says "b"; feature 2 is shared and ambiguous.
    rows = [[1, 0, 1]] * 20 + [[0, 1, 1]] * 20
    labels = ["a"] * 20 + ["b"] * 20
    counts = sparse.csr_matrix(rows)
    ambiguous = sparse.csr_matrix([[0, 0, 1]])
    plain = LinearIntentModel.fit(counts, labels).predict(ambiguous)[0]
    tilted = LinearIntentModel.fit(counts, labels, class_weights={"b": 3.0}).predict(ambiguous)[0]
    assert tilted.intents[0] == "b"
    share = {m: dict(zip(m.intents, m.confidences, strict=True))["b"] for m in (plain, tilted)}
    assert share[tilted] > share[plain]
