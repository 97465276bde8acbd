"""The languages patients are answered in: their codes, and the names staff read.

One list for the content (`content/` and `content/<code>/`), the handoff
store (the language staff call back in), the language detector and the REST
channel. Plain Python: anything may import it.
"""

from __future__ import annotations

ENGLISH = "en"
SPANISH = "es"
# By code, with the English name staff read; English first, the content's own.
NAMES = {ENGLISH: "English", SPANISH: "Spanish"}
LANGUAGES = tuple(NAMES)


def spoken_or_english(code: str | None) -> str:
    """The code if the assistant speaks it, else English (the content's first language)."""
    return code if code in LANGUAGES else ENGLISH
