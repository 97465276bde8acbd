"""The n-gram counting speed-up builds exactly the features Rasa's CountVectorsFeaturizer does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT
from scipy import sparse

from rasa_server.patches import count_vectors

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


def featurizers(agent: Agent) -> list[CountVectorsFeaturizer]:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    found = [n._component for n in nodes if isinstance(n._component, CountVectorsFeaturizer)]
    assert len(found) == 2  # word and character n-grams, as in config.yml
    return found


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


def same(a: sparse.coo_matrix | None, b: sparse.coo_matrix | None) -> bool:
    if a is None or b is None:
        return a is b
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and a.row.tolist() == b.row.tolist()
        and a.col.tolist() == b.col.tolist()
        and a.data.tolist() == b.data.tolist()
    )


def test_features_are_rasas_for_every_training_example_and_odd_input(
    trained_agent: Agent,
) -> None:
    texts = training_texts() + ODD_TEXTS
    assert len(texts) > 1000
    batch = [text.lower().split() for text in texts]
    for featurizer in featurizers(trained_agent):
        expected = count_vectors.RASA_CREATE_FEATURES(featurizer, TEXT, batch)
        got = count_vectors.create_features(featurizer, TEXT, batch)
        for kind, rasa_rows, our_rows in zip(("sequence", "sentence"), expected, got, strict=True):
            pairs = zip(texts, rasa_rows, our_rows, strict=True)
            mismatches = [text for text, a, b in pairs if not same(a, b)]
            assert not mismatches, f"{kind} features differ for {mismatches[:3]}"


def test_an_attribute_without_a_vectorizer_has_no_features(trained_agent: Agent) -> None:
    featurizer = featurizers(trained_agent)[0]
    assert count_vectors.create_features(featurizer, "no_such_attribute", [["a"]]) == (
        [None],
        [None],
    )


@pytest.mark.parametrize("text", ["how much does it cost", "I have glaucoma", "hi", ""])
def test_messages_are_understood_the_same(
    trained_agent: Agent, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(
        CountVectorsFeaturizer, "_create_features", count_vectors.RASA_CREATE_FEATURES
    )
    expected = asyncio.run(trained_agent.parse_message(text))
    monkeypatch.setattr(CountVectorsFeaturizer, "_create_features", count_vectors.create_features)
    assert asyncio.run(trained_agent.parse_message(text)) == expected
