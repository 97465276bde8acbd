"""Combining the two safety layers: the trained NLU intents and the deterministic screen.

Plain Python, no Rasa, so the rule of combination is unit-tested directly.
Either layer can raise an emergency or a disclosure on its own: the screen
catches exact wording the model never saw, and the model catches indirect
wording the lexicon cannot list ("I wrote goodbye letters to my kids").
Only the screen can *clear* a message: when it finds a condition or an
emergency phrase and judges that it does not apply (denied, someone else's,
a general question), the model's safety intent gives way to the best topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.safety.categories import CONDITION_CATEGORIES, EMERGENCY_INTENTS, EMERGENCY_PRIORITY
from core.safety.screen import IDIOM_CATEGORY, Screening

DISCLOSURE_INTENT = "disclose_condition"
SAFETY_INTENTS = {*EMERGENCY_INTENTS.values(), DISCLOSURE_INTENT}
# How sure the model must be before its safety intent stands without the screen.
MIN_MODEL_CONFIDENCE = 0.5
# ...and before its emergency outranks evidence the screen found for another
# reading: a recognised condition ("I take clozapine every night") or an
# everyday idiom ("my boss is going to kill me"). On the tuning set every
# model-only emergency below these beside such evidence was a false alarm.
MIN_MODEL_CONFIDENCE_AGAINST_CONDITION = 0.75
MIN_MODEL_CONFIDENCE_AGAINST_IDIOM = 0.85
# A model-only emergency also needs the intent's own score (before the
# ranking's shares are taken) to reach this. A long message about a sick dog
# or a trip to Rome resembles no training example: every intent scores low,
# and the shares alone could still put the crisis intent ahead. On the tuning
# sets this removed 13 of 45 model-only false alarms and missed 1 of 212
# model-only emergencies (a stroke sign the screen's lexicon now names).
MIN_MODEL_SCORE = 0.3


@dataclass(frozen=True)
class SafetyDecision:
    intent: str  # the intent the dialogue should act on
    confidence: float
    conditions: tuple[str, ...]  # disclosed contraindication categories
    layer: str  # "screen", "model", "screen-cleared" or "none"


def decide(
    screening: Screening,
    ranking: Sequence[dict],
    scores: Mapping[str, float] | None = None,
    fallback_intent: str = "nlu_fallback",
) -> SafetyDecision | None:
    """The safety intent the message must get, or None to keep the model's intent.

    `ranking` is the model's intent ranking, best first; `scores`, where the
    model gives them, each intent's own score (`MIN_MODEL_SCORE`).
    """
    top = ranking[0] if ranking else {"name": fallback_intent, "confidence": 0.0}
    model_intent = top.get("name")
    model_confidence = float(top.get("confidence") or 0.0)
    model_score = 1.0 if scores is None else float(scores.get(model_intent, 0.0))
    model_sure = model_confidence >= MIN_MODEL_CONFIDENCE
    model_emergency = next((c for c, i in EMERGENCY_INTENTS.items() if i == model_intent), None)

    if screening.emergency:
        # The model may see a more urgent emergency than the screen's words
        # name ("...everyone would be relieved... a bottle of my dad's pills"):
        # the order of priority holds across the layers.
        if (
            model_emergency
            and model_sure
            and model_score >= MIN_MODEL_SCORE
            and EMERGENCY_PRIORITY.index(model_emergency)
            < EMERGENCY_PRIORITY.index(screening.emergency)
        ):
            return SafetyDecision(model_intent, model_confidence, screening.conditions, "model")
        return SafetyDecision(
            EMERGENCY_INTENTS[screening.emergency], 1.0, screening.conditions, "screen"
        )
    cleared = {m.category for m in screening.mentions if not m.counts}
    emergency_cleared = bool(cleared & set(EMERGENCY_PRIORITY))
    needed = MIN_MODEL_CONFIDENCE
    if screening.conditions:
        needed = MIN_MODEL_CONFIDENCE_AGAINST_CONDITION
    if IDIOM_CATEGORY in cleared:
        needed = MIN_MODEL_CONFIDENCE_AGAINST_IDIOM
    sure_enough = model_confidence >= needed and model_score >= MIN_MODEL_SCORE
    if model_emergency and sure_enough and not emergency_cleared:
        return SafetyDecision(model_intent, model_confidence, screening.conditions, "model")
    if screening.conditions:
        return SafetyDecision(DISCLOSURE_INTENT, 1.0, screening.conditions, "screen")
    condition_cleared = bool(cleared & set(CONDITION_CATEGORIES))
    if model_intent == DISCLOSURE_INTENT and model_sure and not condition_cleared:
        return SafetyDecision(DISCLOSURE_INTENT, model_confidence, (), "model")
    if model_intent in SAFETY_INTENTS:
        # The screen cleared it (or the model was unsure): answer the best topic instead.
        best_other = next((r for r in ranking if r.get("name") not in SAFETY_INTENTS), None)
        if best_other is None:
            return SafetyDecision(fallback_intent, 0.0, (), "screen-cleared")
        return SafetyDecision(
            best_other["name"], float(best_other.get("confidence") or 0.0), (), "screen-cleared"
        )
    return None
