"""The patient's language: detected offline, and the Spanish emergency replies it selects."""

from __future__ import annotations

import itertools

import pytest
from rasa.core.nlg.generator import ResponseVariationFilter

from core.language import COMMON_WORDS, by_common_words, detect
from core.safety.categories import EMERGENCIES
from core.settings import PROJECT_ROOT
from rasa_server.language_component import requested_language
from tests.conftest import read_yaml

RESPONSES = read_yaml(PROJECT_ROOT / "domain.yml")["responses"]
EMERGENCY_REPLIES = sorted({name for e in EMERGENCIES for name in e.replies})


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("quiero morir", "es"),
        ("tengo esquizofrenia", "es"),
        ("cuánto cuesta el tratamiento", "es"),
        ("me duele el pecho", "es"),
        ("how much does one infusion cost", "en"),
        ("my back hurts so bad", "en"),
    ],
)
def test_a_clear_message_names_its_language(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Short chat Spanish the letters alone leave unsure, or read as English.
        ("a q hora abren y como hago appointment", "es"),
        ("y con united", "es"),
        ("la ketamina es adictiva", "es"),
        ("eres un robot", "es"),
        ("hola", "es"),
        ("gracias!!", "es"),
        ("what about cigna", "en"),
        ("thanks", "en"),
    ],
)
def test_a_short_message_is_read_by_its_common_words(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize(
    "text", ["me voy a pegar un tiro", "tengo PTSD", "me muero x probar la infusion"]
)
def test_one_common_word_decides_when_the_detector_leans_the_same_way(text: str) -> None:
    """An emergency in a new conversation must not be answered in English."""
    assert by_common_words(text) is None  # one word alone is not enough
    assert detect(text) == "es"


@pytest.mark.parametrize("text", ["I want la infusion", "how much es"])
def test_one_common_word_against_the_detector_s_lean_decides_nothing(text: str) -> None:
    assert detect(text) is None


def test_words_of_both_languages_leave_it_to_the_detector() -> None:
    assert by_common_words("my name is Ana de la Cruz") is None
    assert not COMMON_WORDS["en"] & COMMON_WORDS["es"]


@pytest.mark.parametrize("text", ["ok", "si", "no", "yes", "help", "911", "?!", "", "Ana"])
def test_a_short_or_wordless_message_keeps_the_conversation_s_language(text: str) -> None:
    assert detect(text) is None


def test_a_rest_client_may_ask_for_a_language_it_speaks() -> None:
    assert requested_language({"language": "es"}) == "es"
    assert requested_language({"language": "fr"}) is None
    assert requested_language(None) is None


def matching(name: str, slots: dict) -> list[dict]:
    return ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, "rest", slots)


@pytest.mark.parametrize("name", EMERGENCY_REPLIES)
def test_each_emergency_reply_has_one_variation_per_language_and_violence(name: str) -> None:
    for language, violence in itertools.product(("en", "es"), (None, "violence")):
        found = matching(name, {"language": language, "violence_too": violence})
        assert len(found) == 1 or len({v["text"] for v in found}) == 1, (language, violence)
        spanish = any(w in found[0]["text"] for w in ("usted", "llame", "Soy un", "Puede"))
        assert spanish == (language == "es"), (name, language, found[0]["text"])


def test_the_spanish_crisis_reply_gives_the_spanish_line_and_911() -> None:
    text = matching("utter_emergency_crisis", {"language": "es"})[0]["text"]
    assert "988" in text and "oprima 2" in text and "AYUDA" in text and "911" in text


def test_spanish_emergency_items_say_their_language() -> None:
    for emergency in EMERGENCIES:
        first = matching(emergency.replies[0], {"language": "es"})[0]
        assert first["custom"] == {
            "kind": "emergency",
            "category": emergency.category,
            "language": "es",
        }
        assert "911" in first["text"]


# Slot values a response may be given for, besides the language.
CONDITIONS = [None, *read_yaml(PROJECT_ROOT / "domain.yml")["slots"]["primary_condition"]["values"]]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_domain_reply_comes_in_the_conversation_s_language_and_says_so(name: str) -> None:
    """One variation per language (never a random pick between the two), its item saying which."""
    for language, condition in itertools.product(("en", "es"), CONDITIONS):
        found = matching(name, {"language": language, "primary_condition": condition})
        assert len({v["text"] for v in found}) == 1, (name, language, condition)
        if found[0].get("custom"):
            assert found[0]["custom"]["language"] == language, (name, language)
        english = matching(name, {"language": "en", "primary_condition": condition})[0]
        assert (found[0]["text"] == english["text"]) == (language == "en"), (name, language)
