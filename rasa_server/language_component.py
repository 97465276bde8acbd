"""The patient's language as a Rasa NLU component (`LanguageReader` in config.yml).

Each message that is clearly English or Spanish (core/language.py), or whose
REST client asked for one (`"metadata": {"language": "es"}`,
shared/api-contract.md), gets a `language` entity; the `language` slot takes
it, so the conversation remembers its language and a short "ok" or "si"
does not change it. Replies with a Spanish variation (domain.yml) are then
given in Spanish.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from core.language import detect
from core.languages import LANGUAGES
from rasa_server.context_components import StatelessComponent
from rasa_server.safety_component import whole_message_entity

ENTITY = "language"
EXTRACTOR = "LanguageReader"


def requested_language(metadata: Any) -> str | None:
    """The language a REST client asked for, if it is one the assistant speaks."""
    language = metadata.get("language") if isinstance(metadata, dict) else None
    return language if language in LANGUAGES else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageReader(StatelessComponent):
    """Adds a `language` entity when the message's language is clear or asked for."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text") or ""
            language = requested_language(message.get("metadata"))
            if language is None and text and not text.startswith("/"):
                language = detect(text)
            if language:
                entities = [e for e in message.get("entities") or [] if e.get("entity") != ENTITY]
                entities.append(whole_message_entity(ENTITY, language, text, EXTRACTOR))
                message.set("entities", entities, add_to_output=True)
        return messages
