"""The linear intent model as a Rasa NLU component.

In config.yml: `rasa_server.intent_classifier.LinearIntentClassifier`.

It reads the sentence-level features the featurizers before it produce (word
and character n-gram counts) and sets `intent` and
`intent_ranking` like any Rasa intent classifier, so the safety screen and the
FallbackClassifier after it work unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from core.intent_model import LinearIntentModel

MODEL_FILE = "linear_intent_model.npz"
# The message attribute with each intent's own score (`Prediction.scores`),
# for the safety screen after this component. Not part of the parse output.
INTENT_SCORES = "intent_scores"


def sentence_counts(messages: list[Message], features: int | None = None) -> sparse.csr_matrix:
    """One row per message: its sparse sentence-level text features, side by side.

    Read straight from `message.features` (in pipeline order, the same at
    training and at prediction): `Message.get_sparse_features` would also
    combine the token-level features, which this model never uses.
    """
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []
    row_ends = [0]
    width = features or 0
    for message in messages:
        offset, length = 0, 0
        for feature in message.features:
            if (
                feature.attribute == TEXT
                and feature.type == FEATURE_TYPE_SENTENCE
                and feature.is_sparse()
            ):
                part = feature.features.tocoo()
                columns.append(part.col + offset)
                values.append(part.data)
                offset += part.shape[1]
                length += part.nnz
        # No text gives an empty row, which the model leaves to the fallback.
        row_ends.append(row_ends[-1] + length)
        width = max(width, offset)
    return sparse.csr_matrix(
        (
            np.concatenate(values) if values else np.zeros(0),
            np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32),
            np.asarray(row_ends),
        ),
        shape=(len(messages), width),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "alpha": 1e-5,
            "max_epochs": 50,
            "random_seed": 42,
            "ranking_length": 10,
            "class_weights": None,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearIntentModel | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        with model_storage.read_from(resource) as directory:
            model = LinearIntentModel.load(directory / MODEL_FILE)
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            raise ValueError("LinearIntentClassifier: no intent examples to train on")
        self.model = LinearIntentModel.fit(
            sentence_counts(examples),
            [m.get(INTENT) for m in examples],
            alpha=self.config["alpha"],
            max_epochs=self.config["max_epochs"],
            seed=self.config["random_seed"],
            class_weights=self.config["class_weights"],
        )
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None or not messages:
            return messages
        predictions = self.model.predict(sentence_counts(messages, len(self.model.idf)))
        for message, prediction in zip(messages, predictions, strict=True):
            ranking = [
                {"name": name, "confidence": confidence}
                for name, confidence in zip(prediction.intents, prediction.confidences, strict=True)
            ][: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            scores = dict(zip(prediction.intents, prediction.scores, strict=True))
            message.set(INTENT_SCORES, scores)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
