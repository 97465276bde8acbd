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

import re
from functools import lru_cache
from pathlib import Path

import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from core.languages import ENGLISH, SPANISH
from core.safety.screen import fold_accents

LANGUAGES = {Language.ENGLISH: ENGLISH, Language.SPANISH: SPANISH}
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


# Short chat messages are where a detector that reads letters is weakest: it
# takes "a q hora abren y como hago appointment" for English and is unsure of
# "la ketamina es adictiva". The little words give such a message away: these
# are each language's common words that are not words of the other
# (core/common_words.yml). A message with at least two of one language's and
# none of the other's is that language.
COMMON_WORDS = {
    language: frozenset(words)
    # BaseLoader: every word a string ("yes" and "on" are not booleans here).
    for language, words in yaml.load(
        (Path(__file__).parent / "common_words.yml").read_text(encoding="utf-8"), yaml.BaseLoader
    ).items()
}
MIN_WORDS_OF_ONE_LANGUAGE = 2
# A message of one such word counts when the word is this long: "hola",
# "gracias", "thanks" do; "si", "no", "ok" read either way and do not.
MIN_LETTERS_OF_ONE_WORD = 4


# One common word of a language, and none of the other's, is evidence enough
# when the detector leans the same way this much: "me voy a pegar un tiro"
# (0.77), "tengo PTSD" (0.71) were left in English before.
MIN_CONFIDENCE_WITH_ONE_WORD = 0.65


def common_word_counts(text: str) -> list[tuple[str, int]]:
    """How many of each language's common words the message uses, most first."""
    found = re.findall(r"[a-zñ]+", fold_accents(text.lower()))
    if len(found) == 1 and len(found[0]) >= MIN_LETTERS_OF_ONE_WORD:
        found = found * MIN_WORDS_OF_ONE_LANGUAGE
    counts = {
        language: sum(word in words for word in found) for language, words in COMMON_WORDS.items()
    }
    return sorted(counts.items(), key=lambda item: -item[1])


def by_common_words(text: str) -> str | None:
    """The language whose common words the message uses, when it uses only one's."""
    return _decided_by(common_word_counts(text))


def _decided_by(counts: list[tuple[str, int]]) -> str | None:
    [(first, most), (_, other)] = counts
    return first if most >= MIN_WORDS_OF_ONE_LANGUAGE and not other else None


def detect(text: str) -> str | None:
    """ "en" or "es" when the message is clearly in that language, else None."""
    if not any(character.isalpha() for character in text):
        return None
    counts = common_word_counts(text)
    words = _decided_by(counts)
    if words:
        return words
    best = detector().compute_language_confidence_values(text)[0]
    leaning = LANGUAGES[best.language]
    several_words = len(text.split()) > 1
    needed = MIN_CONFIDENCE if several_words else MIN_CONFIDENCE_ONE_WORD
    [(first, most), (_, other)] = counts
    if first == leaning and most and not other and several_words:
        needed = min(needed, MIN_CONFIDENCE_WITH_ONE_WORD)
    return leaning if best.value >= needed else None
