"""The language a patient writes in: English or Spanish, detected offline.

Lingua (lingua-language-detector) ships its language models in the wheel, so
nothing is downloaded at run time; it is told only English and Spanish, the
two languages the assistant answers in. A message counts as one language only
when the detector is sure of it: "ok", "si" or "no" read either way, and the
conversation keeps the language it had (the `language` slot). Safety never
waits for this: the screen reads both languages on every message
(core/safety/screen.py).
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = {Language.ENGLISH: "en", Language.SPANISH: "es"}
# How sure the detector must be before a message changes the conversation's
# language. Short replies ("si", "no", "hola") score 0.5-0.7 either way;
# "quiero morir", "me duele el pecho" and "how much is it" score 0.8 or more.
MIN_CONFIDENCE = 0.8
# One word needs more: "ok" scores 0.89 English, and a Spanish conversation
# must not turn English on it; "gracias" and "ayuda" score 0.97 and more.
MIN_CONFIDENCE_ONE_WORD = 0.95


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


def detect(text: str) -> str | None:
    """ "en" or "es" when the message is clearly in that language, else None."""
    if not any(character.isalpha() for character in text):
        return None
    best = detector().compute_language_confidence_values(text)[0]
    needed = MIN_CONFIDENCE if len(text.split()) > 1 else MIN_CONFIDENCE_ONE_WORD
    return LANGUAGES[best.language] if best.value >= needed else None
