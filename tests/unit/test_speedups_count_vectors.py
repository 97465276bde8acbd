"""FastCountVectorsFeaturizer builds exactly the features Rasa's CountVectorsFeaturizer does.

It is a registered graph component (config.yml), so Rasa runs it like its own:
the tests go through the trained model and through Rasa's train and process calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.agent import Agent
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
from sklearn.feature_extraction.text import CountVectorizer

from rasa_server import count_vectors
from rasa_server.count_vectors import FastCountVectorsFeaturizer

ODD_TEXTS = [
    "",
    "   ",
    "ketamine ketamine ketamine",
    "Ketamin für Rückenschmerzen? ¿Cuánto cuesta?",
    "😀 is it safe 😀",
    "what's the cost of an infusion, and do you take insurance",
    "a" * 300,
    " ".join(["pain"] * 400),
]


@pytest.fixture(autouse=True)
def check_versions_afresh() -> Iterator[None]:
    """The version check is made once per process: each test makes its own."""
    count_vectors.fast_counting_applies.cache_clear()
    yield
    count_vectors.fast_counting_applies.cache_clear()


@pytest.fixture
def countings(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each way of counting ran: scikit-learn's (Rasa's) and ours."""
    calls = {"rasa": 0, "ours": 0}
    transform, count_rows = CountVectorizer.transform, count_vectors.count_rows

    def rasas(self: CountVectorizer, documents: Any) -> Any:
        calls["rasa"] += 1
        return transform(self, documents)

    def ours(vectorizer: CountVectorizer, documents: list[str]) -> sparse.coo_matrix:
        calls["ours"] += 1
        return count_rows(vectorizer, documents)

    monkeypatch.setattr(CountVectorizer, "transform", rasas)
    monkeypatch.setattr(count_vectors, "count_rows", ours)
    return calls


def model_nodes(agent: Agent) -> list[Any]:
    return [n._component for n in agent.processor.graph_runner._instantiated_nodes.values()]


def featurizers(agent: Agent) -> list[FastCountVectorsFeaturizer]:
    found = [c for c in model_nodes(agent) if isinstance(c, CountVectorsFeaturizer)]
    assert len(found) == 2  # word and character n-grams, as in config.yml
    return found


def as_rasas(featurizer: FastCountVectorsFeaturizer) -> CountVectorsFeaturizer:
    """Rasa's own featurizer with the same options and fitted vocabulary."""
    return CountVectorsFeaturizer(
        featurizer._config,
        featurizer._model_storage,
        featurizer._resource,
        ExecutionContext(GraphSchema({}), node_name=featurizer._identifier),
        vectorizers=featurizer.vectorizers,
        oov_token=featurizer.OOV_token,
        oov_words=featurizer.OOV_words,
    )


def training_texts() -> list[str]:
    files = [Path("data/nlu.yml"), *sorted(Path("data/topics").glob("*.yml"))]
    return [
        line.strip()[2:]
        for path in files
        for entry in yaml.safe_load(path.read_text())["nlu"]
        if "examples" in entry
        for line in entry["examples"].splitlines()
        if line.strip()
    ]


def same(a: sparse.coo_matrix, b: sparse.coo_matrix) -> bool:
    return (
        isinstance(a, sparse.coo_matrix)
        and isinstance(b, sparse.coo_matrix)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and a.row.tolist() == b.row.tolist()
        and a.col.tolist() == b.col.tolist()
        and a.data.tolist() == b.data.tolist()
    )


def same_features(
    a: Message, b: Message, kinds: tuple[str, ...] = ("sequence", "sentence")
) -> bool:
    """The same features of these kinds, in the same order, with the same origin and values."""
    theirs = [f for f in b.features if f.type in kinds]
    return len(a.features) == len(theirs) and all(
        (x.type, x.attribute, x.origin) == (y.type, y.attribute, y.origin)
        and same(x.features, y.features)
        for x, y in zip(a.features, theirs, strict=True)
    )


def test_the_trained_model_counts_with_the_fast_featurizer(trained_agent: Agent) -> None:
    assert all(type(f) is FastCountVectorsFeaturizer for f in featurizers(trained_agent))


def test_parsing_a_message_counts_without_scikit_learns_transform(
    trained_agent: Agent, countings: dict[str, int]
) -> None:
    asyncio.run(trained_agent.parse_message("how much does it cost"))
    # Two featurizers, each counting the whole text once: config.yml turns
    # the per-token counts off.
    assert countings == {"rasa": 0, "ours": 2}


def test_features_are_rasas_sentence_features_for_every_training_example_and_odd_input(
    trained_agent: Agent,
) -> None:
    texts = training_texts() + ODD_TEXTS
    assert len(texts) > 1000
    tokenizer = next(c for c in model_nodes(trained_agent) if isinstance(c, WhitespaceTokenizer))
    ours, rasas = [Message({TEXT: t}) for t in texts], [Message({TEXT: t}) for t in texts]
    tokenizer.process(ours)
    tokenizer.process(rasas)
    for featurizer in featurizers(trained_agent):
        featurizer.process(ours)
        as_rasas(featurizer).process(rasas)
    empty = ours[texts.index("")]
    assert empty.features and all(f.features.nnz == 0 for f in empty.features)  # as Rasa's
    assert all(f.type == "sentence" for m in ours for f in m.features)
    mismatches = [
        m.get(TEXT)
        for m, r in zip(ours, rasas, strict=True)
        if not same_features(m, r, kinds=("sentence",))
    ]
    assert not mismatches, f"features differ for {mismatches[:3]}"


@pytest.mark.parametrize(
    "options", [{"min_ngram": 1, "max_ngram": 2}, {"analyzer": "char_wb", "max_ngram": 4}]
)
@pytest.mark.parametrize("with_tokens", [True, False])
def test_trained_from_scratch_it_gives_rasas_features(
    tmp_path: Path, options: dict, with_tokens: bool
) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), node_name="count_vectors")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    config = {**CountVectorsFeaturizer.get_default_config(), **options}
    intents = {"cost": ["how much does it cost", "what is the price"], "greet": ["hi", "hello"]}

    def train(featurizer_class: type, name: str) -> list[Message]:
        options = {**config, "sequence_features": with_tokens} if name == "ours" else config
        featurizer = featurizer_class.create(options, storage, Resource(name), context)
        training = TrainingData(
            [Message.build(text, intent) for intent, texts in intents.items() for text in texts]
        )
        tokenizer.process_training_data(training)
        featurizer.train(training)
        featurizer.process_training_data(training)  # the intents get features too
        messages = [Message({TEXT: t}) for t in ["", "how much is it", "hello price", "zzz"]]
        tokenizer.process(messages)
        featurizer.process(messages)
        return training.training_examples + messages

    ours, rasas = train(FastCountVectorsFeaturizer, "ours"), train(CountVectorsFeaturizer, "rasa")
    kinds = ("sequence", "sentence") if with_tokens else ("sentence",)
    assert all(same_features(m, r, kinds) for m, r in zip(ours, rasas, strict=True))
    assert any(m.features for m in ours)
    assert with_tokens == any(f.type == "sequence" for m in ours for f in m.features)


def test_an_attribute_without_a_vectorizer_has_no_features(trained_agent: Agent) -> None:
    featurizer = featurizers(trained_agent)[0]
    assert featurizer._create_features("no_such_attribute", [["a"]]) == ([None], [None])
    assert as_rasas(featurizer)._create_features("no_such_attribute", [["a"]]) == ([None], [None])


@pytest.mark.parametrize("text", ["how much does it cost", "I have glaucoma", "hi", ""])
def test_messages_are_understood_the_same(
    trained_agent: Agent, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(count_vectors, "fast_counting_applies", lambda: False)  # Rasa's counting
    expected = asyncio.run(trained_agent.parse_message(text))
    monkeypatch.undo()
    assert asyncio.run(trained_agent.parse_message(text)) == expected


def test_on_another_rasa_version_it_counts_with_rasas_code(
    trained_agent: Agent,
    another_rasa_version: str,
    countings: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="rasa_server.count_vectors"):
        parsed = asyncio.run(trained_agent.parse_message("how much does it cost"))
    assert parsed["intent"]["name"] == "cost"
    assert countings == {"rasa": 4, "ours": 0}
    warnings = [r.getMessage() for r in caplog.records if r.name == "rasa_server.count_vectors"]
    assert len(warnings) == 1  # checked once, not per message
    assert f"this is rasa {another_rasa_version}" in warnings[0]
