"""When a patient is stuck: two turns in a row without a useful answer.

A turn is the patient's message and the assistant's replies to it, read from
the conversation's events (plain dicts, as Rasa serialises them) through the
REST contract's `custom` items, so what counts is what the patient was told,
whichever action or rule told it. Turns without a useful answer:

- `fallback`: out of scope or not understood;
- `feedback` with `rating: down`: the patient said the answer did not help
  (the answer it rates, if it came right before, then counts for nothing:
  answer and thumbs-down are one unhelpful exchange, not a good turn and a
  bad one);
- `clarify` whose options were not taken: a later turn of the run follows
  it. The clarify being sent right now does not count yet: the patient may
  still pick an option.

Any other turn (an answer, a thumbs-up, smalltalk, an emergency, a handoff, a
question the assistant asked) ends the run. After the offer of a person
(`confirm` about `person`) the count starts again, so the patient is not
asked on every turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# The `about` of the `confirm` item that offers a person.
OFFER_ABOUT = "person"
UNHELPFUL_TURNS_BEFORE_OFFER = 2

ANSWERED, FAILED, RATED_DOWN, CLARIFIED, OFFERED, OTHER = (
    "answered",
    "failed",
    "rated_down",
    "clarified",
    "offered",
    "other",
)
UNHELPFUL = (FAILED, RATED_DOWN, CLARIFIED)


def turn_customs(events: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The custom items the assistant sent in each turn, oldest turn first."""
    turns: list[list[dict[str, Any]]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append([])
        elif event.get("event") == "bot" and turns:
            custom = (event.get("data") or {}).get("custom")
            if isinstance(custom, dict):
                turns[-1].append(custom)
    return turns


def outcome(customs: Sequence[dict[str, Any]]) -> str:
    """What one turn did for the patient."""
    kinds = [c.get("kind") for c in customs]
    if any(c.get("kind") == "confirm" and c.get("about") == OFFER_ABOUT for c in customs):
        return OFFERED
    if "emergency" in kinds or "handoff" in kinds:
        return OTHER
    if "answer" in kinds:
        return ANSWERED
    for custom in customs:
        if custom.get("kind") == "feedback":
            return RATED_DOWN if custom.get("rating") == "down" else ANSWERED
    if "fallback" in kinds:
        return FAILED
    if "clarify" in kinds:
        return CLARIFIED
    return OTHER


def unhelpful_run(outcomes: Sequence[str]) -> int:
    """How many turns in a row, ending with the latest, went without a useful answer.

    The latest turn's clarify does not count (its options may still be
    taken); an answer right before a thumbs-down is skipped.
    """
    run = 0
    for index in range(len(outcomes) - 1, -1, -1):
        result = outcomes[index]
        rated_down_next = index + 1 < len(outcomes) and outcomes[index + 1] == RATED_DOWN
        if result == ANSWERED and rated_down_next:
            continue
        if result not in UNHELPFUL:
            break
        if not (result == CLARIFIED and index == len(outcomes) - 1):
            run += 1
    return run


def should_offer_person(events: Iterable[dict[str, Any]], this_turn: str) -> bool:
    """Whether to offer a person at the end of this turn, whose outcome is `this_turn`.

    `events` are the conversation's events up to this turn's patient message
    (what an action receives); this turn's replies are not among them yet.
    """
    if this_turn not in UNHELPFUL:
        return False
    outcomes = [outcome(customs) for customs in turn_customs(events)]
    if outcomes:
        outcomes[-1] = this_turn
    else:
        outcomes = [this_turn]
    return unhelpful_run(outcomes) >= UNHELPFUL_TURNS_BEFORE_OFFER
