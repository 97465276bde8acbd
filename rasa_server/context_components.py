"""Two-part questions and follow-ups, as two Rasa NLU components (core/context.py decides).

`QuestionReader` comes first in the pipeline. For a message that holds
several questions it adds one message per question (for a story with one
question in it, that question), and right after an answer it adds the
message with that answer's title in front ("Side effects: are they
permanent?"). Every later component reads the added messages like
the patient's own, so each gets the intent model's reading.

`ContextReader` comes last. It weighs those readings against the whole
message's (core/context.py: `decide`), sets the intent to the first topic to
answer, adds `reading` (`{"topics": [...], "how": "parts" | "follow_up" |
"more" | "question"}`) to the parse data for the action server, and drops the added
messages. A message the safety screen flagged is never reread.

Rasa's default recipe hands an NLU component the conversation's tracker when
its `process` takes a `tracker` argument; the last answered topic comes from
the tracker's `last_topic` slot, which `action_answer_topic` sets, and counts
only when the assistant's last action was that answer.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core import context
from core.content_store import default_store

READING = "reading"
# The added messages of a patient's message, kept on it between the two components.
ADDED = "context_added_messages"


def last_answered_topic(tracker: DialogueStateTracker | None) -> str | None:
    """The topic of the assistant's last answer, if its last action was that answer."""
    if tracker is None or tracker.active_loop_name:
        return None
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and event.action_name != "action_listen":
            if event.action_name != context.ANSWER_ACTION:
                return None
            return tracker.get_slot(context.LAST_TOPIC_SLOT)
    return None


def ranking(message: Message) -> list[tuple[str, float]]:
    return [
        (r["name"], float(r.get("confidence") or 0.0)) for r in message.get("intent_ranking") or []
    ]


class StatelessComponent(GraphComponent):
    """A component with no configuration, no training and nothing to store."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StatelessComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionReader(StatelessComponent):
    """Adds a message per question, and the message read in the light of the last answer."""

    def process(
        self, messages: list[Message], tracker: DialogueStateTracker | None = None
    ) -> list[Message]:
        added_all: list[Message] = []
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            found = context.question_parts(text)
            parts = [Message(data={TEXT: part.text}) for part in found]
            lone = _lone_question(text, parts)
            contextual = None
            last_topic = last_answered_topic(tracker)
            content = default_store().content
            if last_topic in content.answers:
                # The title in the conversation's language, as the patient read it.
                language = tracker.get_slot(context.LANGUAGE_SLOT) if tracker else None
                title = content.title(last_topic, language)
                contextual = Message(data={TEXT: context.with_context(text, title)})
            message.set(
                ADDED,
                {
                    "parts": parts,
                    "asks": [part.asks for part in found],
                    "contextual": contextual,
                    "last": last_topic,
                    "lone": lone,
                },
            )
            alone = [m for m in (contextual, lone) if m and all(m is not p for p in parts)]
            added_all += parts + alone
        return messages + added_all


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ContextReader(StatelessComponent):
    """Decides what the message asks from the readings, and drops the added messages."""

    def process(self, messages: list[Message]) -> list[Message]:
        added = {id(m) for message in messages for m in _added(message)}
        kept = [m for m in messages if id(m) not in added]
        for message in kept:
            self._read(message)
        return kept

    @staticmethod
    def _read(message: Message) -> None:
        found = message.data.pop(ADDED, None)
        if not found:
            return
        contextual, lone = found["contextual"], found["lone"]
        reading = context.decide(
            whole=ranking(message),
            part_rankings=[ranking(part) for part in found["parts"]],
            part_asks=found["asks"],
            contextual=ranking(contextual) if contextual else None,
            text=message.get(TEXT),
            last_topic=found["last"],
            topics=default_store().content.answers.keys(),
            lone=ranking(lone) if lone else None,
        )
        if reading is None:
            return
        message.set(INTENT, {"name": reading.topics[0], "confidence": 1.0}, add_to_output=True)
        message.set(
            READING, {"topics": list(reading.topics), "how": reading.how}, add_to_output=True
        )


def _lone_question(text: str, parts: list[Message]) -> Message | None:
    """The message's one question to read alone: the part that is that question, if one is."""
    question = context.lone_question(text)
    if question is None:
        return None
    same = [part for part in parts if part.get(TEXT) == question.strip(context.PART_STRIP)]
    return same[0] if same else Message(data={TEXT: question})


def _added(message: Message) -> list[Message]:
    found = message.get(ADDED) or {}
    alone = (found.get("contextual"), found.get("lone"))
    return [*found.get("parts", []), *(m for m in alone if m)]
