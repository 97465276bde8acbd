"""The safety screen as a Rasa NLU component (`SafetyScreenComponent` in config.yml).

It runs after the intent classifier and before the FallbackClassifier: a safety intent it sets
has confidence 1.0, so it is never turned into "did you mean...?". Each
disclosed condition becomes a `condition` entity whose value is its category.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.safety.layers import EMERGENCY_INTENTS, SAFETY_INTENTS, decide
from core.safety.screen import Lexicon, SafetyScreen
from rasa_server.intent_classifier import INTENT_SCORES

logger = logging.getLogger(__name__)

ENTITY = "condition"
ALSO_ENTITY = "emergency_also"
OTHERS_WEIGHT = 0.5
EXTRACTOR = "SafetyScreen"


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=False,
)
class SafetyScreenComponent(GraphComponent):
    """Overrides the intent when the message is an emergency or a disclosure."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon": None}

    def __init__(self, config: dict[str, Any]) -> None:
        lexicon = Lexicon.load(config["lexicon"]) if config.get("lexicon") else Lexicon.load()
        self.screen = SafetyScreen(lexicon)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyScreenComponent:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get("text") or ""
        if not text or text.startswith("/"):
            # Button payloads like "/cost" name their intent already.
            return
        screening = self.screen.screen(text)
        ranking = message.get("intent_ranking") or []
        decision = decide(screening, ranking, message.get(INTENT_SCORES))
        if decision is None:
            return
        logger.debug("safety layer %s set intent %s", decision.layer, decision.intent)
        others = [r for r in ranking if r.get("name") != decision.intent]
        if decision.layer == "screen-cleared":
            others = [r for r in others if r.get("name") not in SAFETY_INTENTS]
        else:
            # A safety decision stands: the model's other guesses must not look
            # close to it, or the FallbackClassifier would call it ambiguous.
            others = [
                {**r, "confidence": float(r.get("confidence") or 0.0) * OTHERS_WEIGHT}
                for r in others
            ]
        message.set(
            "intent",
            {"name": decision.intent, "confidence": decision.confidence},
            add_to_output=True,
        )
        message.set(
            "intent_ranking",
            [{"name": decision.intent, "confidence": decision.confidence}, *others],
            add_to_output=True,
        )
        entities = [
            e for e in message.get("entities") or [] if e.get("entity") not in (ENTITY, ALSO_ENTITY)
        ]
        entities += [whole_message_entity(ENTITY, c, text) for c in decision.conditions]
        # Violence beside a more urgent emergency ("he pushed me down the
        # stairs and now I can't feel my legs"): the reply adds the hotlines.
        other_emergencies = set(EMERGENCY_INTENTS.values()) - {EMERGENCY_INTENTS["violence"]}
        violence_found = "violence" in (screening.emergency, *screening.other_emergencies)
        if violence_found and decision.intent in other_emergencies:
            entities.append(whole_message_entity(ALSO_ENTITY, "violence", text))
        message.set("entities", entities, add_to_output=True)


def whole_message_entity(
    name: str, value: str, text: str, extractor: str = EXTRACTOR
) -> dict[str, Any]:
    """An entity the screen (or another reader of the whole message) found.

    The screen matches normalised tokens, not characters, so it has no
    narrower span to give.
    """
    return {
        "entity": name,
        "value": value,
        "start": 0,
        "end": len(text),
        "extractor": extractor,
        "confidence": 1.0,
    }
