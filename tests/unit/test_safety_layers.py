"""How the model's safety intents and the screen combine."""

from __future__ import annotations

from core.safety.layers import decide
from core.safety.screen import Mention, Screening

NOTHING = Screening(None, (), ())


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_screen_emergency_wins_over_everything() -> None:
    screening = Screening("crisis", ("psychosis",), ())
    decision = decide(screening, ranking(("cost", 0.9)))
    assert (decision.intent, decision.conditions, decision.layer) == (
        "emergency_crisis",
        ("psychosis",),
        "screen",
    )


def test_emergency_outranks_a_disclosure() -> None:
    screening = Screening(None, ("pregnancy",), ())
    decision = decide(screening, ranking(("emergency_medical", 0.8)))
    assert decision.intent == "emergency_medical" and decision.layer == "model"


def test_model_catches_what_the_lexicon_cannot_list() -> None:
    decision = decide(NOTHING, ranking(("emergency_crisis", 0.7), ("goodbye", 0.2)))
    assert decision.intent == "emergency_crisis"


def test_a_more_urgent_model_emergency_outranks_the_screen_s() -> None:
    medical = Screening("medical", (), ())
    crisis_first = ranking(("emergency_crisis", 0.6), ("emergency_medical", 0.3))
    decision = decide(medical, crisis_first, {"emergency_crisis": 0.7, "emergency_medical": 0.4})
    assert decision.intent == "emergency_crisis" and decision.layer == "model"
    # Not when the model is unsure, and never downwards.
    unsure = decide(medical, crisis_first, {"emergency_crisis": 0.2, "emergency_medical": 0.1})
    assert unsure.intent == "emergency_medical"
    crisis = Screening("crisis", (), ())
    lower = decide(crisis, ranking(("emergency_medical", 0.9)), {"emergency_medical": 0.9})
    assert lower.intent == "emergency_crisis"


def test_model_emergency_needs_its_own_score_not_only_the_largest_share() -> None:
    # A message unlike anything trained on: every intent scores low, and the
    # crisis intent's share of the sum is still the largest.
    unfamiliar = ranking(("emergency_crisis", 0.55), ("out_of_scope", 0.2))
    low = decide(NOTHING, unfamiliar, {"emergency_crisis": 0.14, "out_of_scope": 0.05})
    assert low is not None and low.intent == "out_of_scope" and low.layer == "screen-cleared"

    high = decide(NOTHING, unfamiliar, {"emergency_crisis": 0.6, "out_of_scope": 0.2})
    assert high is not None and high.intent == "emergency_crisis" and high.layer == "model"


def test_unsure_model_safety_intent_gives_way_to_the_best_topic() -> None:
    decision = decide(NOTHING, ranking(("disclose_condition", 0.4), ("contraindications", 0.35)))
    assert decision.intent == "contraindications"


def test_screen_clears_a_denied_condition() -> None:
    cleared = Screening(None, (), (Mention("cardiovascular", "heart problems", False, "negated"),))
    decision = decide(cleared, ranking(("disclose_condition", 0.9), ("candidates", 0.05)))
    assert decision.intent == "candidates" and decision.layer == "screen-cleared"


def test_screen_disclosure_overrides_a_topic() -> None:
    screening = Screening(None, ("pregnancy",), ())
    decision = decide(screening, ranking(("cost", 0.95)))
    assert decision.intent == "disclose_condition" and decision.conditions == ("pregnancy",)


def test_ordinary_question_is_left_alone() -> None:
    assert decide(NOTHING, ranking(("cost", 0.95))) is None


def test_screen_violence_becomes_its_emergency_intent() -> None:
    decision = decide(Screening("violence", (), ()), ranking(("cost", 0.9)))
    assert (decision.intent, decision.layer) == ("emergency_violence", "screen")


def test_model_only_disclosure_carries_no_condition_so_the_dialogue_asks() -> None:
    decision = decide(NOTHING, ranking(("disclose_condition", 0.8), ("cost", 0.1)))
    assert (decision.intent, decision.conditions, decision.layer) == (
        "disclose_condition",
        (),
        "model",
    )


def test_an_idiom_makes_an_unsure_model_emergency_give_way() -> None:
    idiom = Screening(None, (), (Mention("idiom", "boss is going to kill me", False, "idiom"),))
    unsure = decide(idiom, ranking(("emergency_crisis", 0.8), ("booking", 0.1)))
    assert unsure.intent == "booking"
    sure = decide(idiom, ranking(("emergency_crisis", 0.95), ("booking", 0.02)))
    assert sure.intent == "emergency_crisis"


def test_a_recognised_condition_outranks_an_unsure_model_emergency() -> None:
    disclosed = Screening(None, ("psychosis",), ())
    decision = decide(disclosed, ranking(("emergency_crisis", 0.55), ("cost", 0.2)))
    assert (decision.intent, decision.conditions) == ("disclose_condition", ("psychosis",))
