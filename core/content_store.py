"""The curated content store: patient-facing answers, their sources, the clinic profile.

Plain Python, no Rasa: the actions call it, tests use it directly.

Layout of `content/`:
- `answers/<topic>.yml`: one entry per topic (text, sources, review date);
- `sources.yml`: every citable source, by id, with its title and the address a
  patient can open (`url`; null only for a document the clinic supplied);
- `replies.yml`: the fixed replies the actions send (intro, clarify, fallback),
  with the titles of their buttons;
- `page.yml`: what the demo web page shows around the chat, its banners included;
- `clinic.yml`: the deploying clinic's profile, filling `{placeholders}` in
  replies and in answers marked `clinic: true`;
- `es/`: the same texts in Spanish, for patients who write in Spanish:
  `es/answers/<topic>.yml` (title and messages; the sources are the English
  entry's), `es/replies.yml`, `es/page.yml`, and `es/clinic.yml` (the profile's
  sentences; names, phone, addresses and insurers are shared).

Everything is validated on load. A problem raises `ContentError` naming the
file, the entry and what is wrong, so the action server refuses to start on
broken content instead of answering patients with it. A patient never gets
English silently: a missing Spanish text, one more or fewer message than the
English entry, a different `{placeholder}`, or a translation of an older
review of the English entry (`translated_from`) is such a problem too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import string
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.languages import ENGLISH, LANGUAGES
from core.safety.categories import EMERGENCY_PRIORITY
from core.settings import CONTENT_DIR, settings

logger = logging.getLogger(__name__)

DEFAULT_CONTENT_DIR = CONTENT_DIR

# English is written in `content/`, every other language (core/languages.py)
# in `content/<language>/`, text for text.
# "a and b": the word a list's last item is joined with.
AND = {"en": "and", "es": "y"}

ANSWER_KEYS = {"topic", "title", "reviewed", "sources", "clinic", "messages"}
# A translated answer: its own words; the facts behind it (sources, review) are the English entry's.
TRANSLATED_ANSWER_KEYS = {"topic", "title", "translated_from", "messages"}
SOURCE_KEYS = {"title", "url", "supplied_by_clinic"}
# A source's address is opened by the patient's browser: a web page or a DOI
# link (https://doi.org/...), never a script or a local file.
SOURCE_URL_SCHEMES = ("https", "http")
REPLY_KEYS = {
    "intro",
    "unavailable",
    "clarify",
    "fallback",
    "handoff_created",
    "handoff_spooled",
    "callback_offer",
    "callback_saved",
    "callback_declined",
    "ask_callback_name",
    "ask_callback_contact",
    "ask_callback_time",
    "invalid_name",
    "invalid_contact",
    "invalid_time",
    "handoff_reminder",
    "crisis_line",
    "more_sources",
    "more_no_sources",
    "also_asked",
    "rate_prompt",
    "rated_up",
    "rated_down",
    "rated_nothing",
    "forget_done",
    "forget_kept_sent",
    "forget_failed",
}
# Replies that offer buttons, and the payloads they must offer: the dialogue
# reacts to these (data/rules.yml), so content may word the titles, not change them.
REPLY_BUTTONS = {
    "callback_offer": ("/affirm", "/deny"),
    "rate_prompt": ("/answer_helped", "/answer_not_helped"),
}
PAGE_KEYS = {
    "page_title",
    "nav_chat",
    "nav_contact",
    "chat_heading",
    "chat_label",
    "contact_heading",
    "contact_text",
    "heading",
    "welcome",
    "disclaimer",
    "intro",
    "input_placeholder",
    "sources",
    "message_too_long",
    "request_refused",
    "request_failed",
    "rate_limited",
    "unreachable",
    "rating_yes_label",
    "rating_no_label",
    "handoff_banner",
    "emergency_banners",
}
# Placeholders the page itself fills when it shows the text (the server fills
# the clinic's); each of these texts must have its placeholder.
PAGE_PLACEHOLDERS = {
    "sources": {"sources"},
    "message_too_long": {"limit"},
    "handoff_banner": {"handoff_id"},
}
# The profile's sentences and phrases, which a translation has in its own
# words (content/es/clinic.yml).
TRANSLATED_CLINIC_KEYS = {
    "hours",
    "prices",
    "parking_and_directions",
    "infusion_team",
    "referral_policy",
    "records_how_to_send",
    "payment_options",
    "companion_policy",
    "routes_offered",
}
# Names, numbers and addresses read the same in every language.
CLINIC_KEYS = {
    "clinic_name",
    "phone",
    "booking_url",
    "insurers",
    "address",
} | TRANSLATED_CLINIC_KEYS
MAX_MESSAGES = 4
# Spanish takes about a fifth more words to say the same.
MAX_ANSWER_WORDS = {"en": 120, "es": 150}


class ContentError(Exception):
    """Content that must not reach a patient: names the file, the entry and the problem."""

    def __init__(self, path: Path | str, entry: str, problem: str) -> None:
        self.path = str(path)
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


@dataclass(frozen=True)
class Source:
    """A citable source: what the patient reads, and where they can open it.

    `url` is None only for a document the clinic supplied (`supplied_by_clinic`),
    which has no public address we can vouch for.
    """

    id: str
    title: str
    url: str | None
    supplied_by_clinic: bool = False


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A fixed reply as written (placeholders not yet filled), with its buttons if any."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Banner:
    """A notice the web page shows above the chat."""

    title: str
    text: str


@dataclass(frozen=True)
class PageTexts:
    """What the web page shows around the chat, as written."""

    texts: dict[str, str]  # intro, input placeholder, sources line, error messages
    handoff_banner: Banner
    emergency_banners: dict[str, Banner]  # one per emergency category, most urgent first


@dataclass(frozen=True)
class Answer:
    """One topic's curated answer, as written (placeholders not yet filled)."""

    topic: str
    title: str
    reviewed: dt.date
    sources: tuple[Source, ...]
    clinic: bool
    messages: tuple[str, ...]


@dataclass(frozen=True)
class ClinicProfile:
    language: str
    clinic_name: str
    phone: str
    booking_url: str
    hours: str
    insurers: tuple[str, ...]
    prices: str
    address: str
    parking_and_directions: str
    infusion_team: str
    referral_policy: str
    records_how_to_send: str
    payment_options: str
    companion_policy: str
    routes_offered: str

    def placeholders(self) -> dict[str, str]:
        """The values `{placeholders}` in clinic answers are filled with."""
        values = {key: getattr(self, key) for key in CLINIC_KEYS}
        values["insurers"] = join_words(self.insurers, self.language)
        return values


@dataclass(frozen=True)
class RenderedAnswer:
    """An answer ready for a patient: placeholders filled, in the patient's language."""

    topic: str
    title: str
    reviewed: dt.date
    sources: tuple[Source, ...]
    messages: tuple[str, ...]
    language: str = ENGLISH


def join_words(items: tuple[str, ...] | list[str], language: str = ENGLISH) -> str:
    """'a', 'a and b', 'a, b and c' (in Spanish: 'a, b y c')."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {AND[language]} {items[-1]}"


def placeholder_names(text: str) -> set[str]:
    """The `{names}` used in a template; raises ValueError on stray braces."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ContentError(path, "(file)", "file is missing")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(path, "(file)", f"not valid YAML: {error}") from error


def _reject_unknown_keys(
    path: Path, entry: str, data: dict, allowed: set[str], what: str = "keys"
) -> None:
    """A misspelt key is an error, not silently ignored content."""
    unknown = data.keys() - allowed
    if unknown:
        raise ContentError(path, entry, f"unknown {what}: {', '.join(sorted(map(str, unknown)))}")


def _require_keys(path: Path, entry: str, data: dict, expected: set[str], what: str) -> None:
    """Exactly the expected keys: a missing one and a misspelt one are both errors."""
    missing = expected - data.keys()
    if missing:
        raise ContentError(path, entry, f"missing {what}: {', '.join(sorted(missing))}")
    _reject_unknown_keys(path, entry, data, expected, what)


def _require_text(path: Path, entry: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, entry, f"'{key}' must be non-empty text")
    return value.strip()


def is_source_url(value: Any) -> bool:
    """An absolute http(s) address with a host and nothing a browser would trip on."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in SOURCE_URL_SCHEMES and bool(parts.hostname)


def load_source(path: Path, source_id: str, body: Any) -> Source:
    """One source: a title, and a url unless the clinic supplied the document."""
    entry = f"source '{source_id}'"
    if not isinstance(body, dict):
        raise ContentError(path, entry, "expected a mapping with a 'title' and a 'url'")
    _reject_unknown_keys(path, entry, body, SOURCE_KEYS)
    title = _require_text(path, entry, "title", body.get("title"))
    supplied_by_clinic = body.get("supplied_by_clinic", False)
    if not isinstance(supplied_by_clinic, bool):
        raise ContentError(path, entry, "'supplied_by_clinic' must be true or false")
    if "url" not in body:
        raise ContentError(
            path,
            entry,
            "missing 'url': a DOI link (https://doi.org/...) or the source's web address "
            "(null only with 'supplied_by_clinic: true')",
        )
    url = body["url"]
    if url is None:
        if not supplied_by_clinic:
            raise ContentError(
                path,
                entry,
                "'url' is null: only a document the clinic supplied "
                "('supplied_by_clinic: true') may have no address",
            )
    elif not is_source_url(url):
        raise ContentError(
            path,
            entry,
            f"'url' must be a DOI link (https://doi.org/...) or an http(s) web address, "
            f"not {url!r}",
        )
    return Source(source_id, title, url, supplied_by_clinic)


def load_sources(path: Path) -> dict[str, Source]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise ContentError(path, "(file)", "expected a mapping under 'sources'")
    return {
        source_id: load_source(path, source_id, body) for source_id, body in data["sources"].items()
    }


def load_clinic(path: Path) -> ClinicProfile:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of clinic settings")
    _require_keys(path, "(file)", data, CLINIC_KEYS, "settings")
    insurers = data["insurers"]
    if not isinstance(insurers, list) or not all(
        isinstance(i, str) and i.strip() for i in insurers
    ):
        raise ContentError(path, "insurers", "must be a list of insurer names (may be empty)")
    texts = {key: _require_text(path, key, key, data[key]) for key in CLINIC_KEYS - {"insurers"}}
    return ClinicProfile(language=ENGLISH, insurers=tuple(i.strip() for i in insurers), **texts)


def load_translated_clinic(path: Path, english: ClinicProfile, language: str) -> ClinicProfile:
    """The profile in another language: its sentences from `path`, the rest as in English."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of clinic settings")
    _require_keys(path, "(file)", data, TRANSLATED_CLINIC_KEYS, "settings")
    texts = {key: _require_text(path, key, key, data[key]) for key in TRANSLATED_CLINIC_KEYS}
    return dataclasses.replace(english, language=language, **texts)


def _check_placeholders(
    path: Path,
    entry: str,
    text: str,
    allowed: bool = True,
    filled_later: frozenset[str] = frozenset(),
) -> None:
    """Only the clinic profile's placeholders, plus those the text's reader fills in itself."""
    try:
        names = placeholder_names(text)
    except ValueError as error:
        raise ContentError(path, entry, f"bad braces in {text!r}: {error}") from error
    if names and not allowed:
        raise ContentError(path, entry, f"placeholders {sorted(names)} need 'clinic: true'")
    unknown_names = names - CLINIC_KEYS - filled_later
    if unknown_names:
        raise ContentError(path, entry, f"unknown placeholders: {sorted(unknown_names)}")
    missing = filled_later - names
    if missing:
        needed = ", ".join(f"{{{name}}}" for name in sorted(missing))
        raise ContentError(path, entry, f"must show {needed}: the page fills it in")


def load_buttons(path: Path, entry: str, raw: Any, payloads: tuple[str, ...]) -> tuple[Button, ...]:
    """The buttons of a reply: a title each, offering exactly the payloads the dialogue expects."""
    if not isinstance(raw, list) or not raw:
        raise ContentError(
            path, entry, f"'buttons' must list a title and a payload for: {', '.join(payloads)}"
        )
    buttons = []
    for number, button in enumerate(raw, start=1):
        where = f"{entry}, button {number}"
        if not isinstance(button, dict):
            raise ContentError(path, where, "expected a mapping with 'title' and 'payload'")
        _reject_unknown_keys(path, where, button, {"title", "payload"})
        if button.get("title") is None:
            raise ContentError(path, where, "missing 'title': the words the patient clicks")
        title = _require_text(path, where, "title", button["title"])
        _check_placeholders(path, where, title)
        payload = _require_text(path, where, "payload", button.get("payload"))
        buttons.append(Button(title, payload))
    offered = [button.payload for button in buttons]
    if sorted(offered) != sorted(payloads):
        raise ContentError(
            path,
            entry,
            f"buttons must offer exactly {', '.join(payloads)} (the dialogue answers these), "
            f"not {', '.join(offered)}",
        )
    return tuple(buttons)


def load_reply(path: Path, key: str, raw: Any) -> Reply:
    """Plain text, or `text` and `buttons` for the replies that offer buttons."""
    payloads = REPLY_BUTTONS.get(key)
    if payloads is None:
        if isinstance(raw, dict):
            raise ContentError(path, key, "must be text: this reply has no buttons")
        text = _require_text(path, key, key, raw)
        _check_placeholders(path, key, text)
        return Reply(text)
    if not isinstance(raw, dict):
        raise ContentError(
            path, key, f"expected 'text' and 'buttons' (titles for {', '.join(payloads)})"
        )
    _require_keys(path, key, raw, {"text", "buttons"}, "keys")
    text = _require_text(path, key, "text", raw["text"])
    _check_placeholders(path, key, text)
    return Reply(text, load_buttons(path, key, raw["buttons"], payloads))


def load_replies(path: Path) -> dict[str, Reply]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of reply names to texts")
    _require_keys(path, "(file)", data, REPLY_KEYS, "replies")
    return {key: load_reply(path, key, data[key]) for key in sorted(REPLY_KEYS)}


def _page_text(path: Path, entry: str, label: str, value: Any, page_fills: str = "") -> str:
    """A page text; `page_fills` names the entry whose placeholders the page fills itself."""
    text = _require_text(path, entry, label, value)
    filled_later = frozenset(PAGE_PLACEHOLDERS.get(page_fills, ()))
    _check_placeholders(path, entry, text, filled_later=filled_later)
    return text


def load_banner(path: Path, entry: str, raw: Any, page_fills: str = "") -> Banner:
    if not isinstance(raw, dict):
        raise ContentError(path, entry, "expected a 'title' and a 'text'")
    _require_keys(path, entry, raw, {"title", "text"}, "keys")
    return Banner(
        title=_page_text(path, entry, "title", raw["title"]),
        text=_page_text(path, entry, "text", raw["text"], page_fills),
    )


def load_page(path: Path) -> PageTexts:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of page texts")
    _require_keys(path, "(file)", data, PAGE_KEYS, "page texts")
    banners = data["emergency_banners"]
    if not isinstance(banners, dict):
        raise ContentError(path, "emergency_banners", "expected one banner per emergency category")
    missing = [category for category in EMERGENCY_PRIORITY if category not in banners]
    if missing:
        raise ContentError(
            path,
            "emergency_banners",
            f"no banner for: {', '.join(missing)} (core/safety/categories.py declares it)",
        )
    unknown = banners.keys() - set(EMERGENCY_PRIORITY)
    if unknown:
        raise ContentError(
            path,
            "emergency_banners",
            f"unknown emergency categories: {', '.join(sorted(map(str, unknown)))}",
        )
    texts = PAGE_KEYS - {"handoff_banner", "emergency_banners"}
    return PageTexts(
        texts={key: _page_text(path, key, key, data[key], key) for key in sorted(texts)},
        handoff_banner=load_banner(
            path, "handoff_banner", data["handoff_banner"], "handoff_banner"
        ),
        emergency_banners={
            category: load_banner(path, f"emergency_banners.{category}", banners[category])
            for category in EMERGENCY_PRIORITY
        },
    )


def load_answer(path: Path, sources: dict[str, Source]) -> Answer:
    data = _read_yaml(path)
    entry = f"answer '{path.stem}'"
    if not isinstance(data, dict):
        raise ContentError(path, entry, "expected a mapping")
    _require_keys(path, entry, data, ANSWER_KEYS, "keys")
    topic = _require_text(path, entry, "topic", data["topic"])
    if topic != path.stem:
        raise ContentError(path, entry, f"topic '{topic}' does not match the file name")
    reviewed = data["reviewed"]
    if not isinstance(reviewed, dt.date):
        raise ContentError(path, entry, "'reviewed' must be a date like 2026-11-21")
    clinic = data["clinic"]
    if not isinstance(clinic, bool):
        raise ContentError(path, entry, "'clinic' must be true or false")

    source_ids = data["sources"]
    if not isinstance(source_ids, list):
        raise ContentError(path, entry, "'sources' must be a list of source ids")
    unknown_sources = [s for s in source_ids if s not in sources]
    if unknown_sources:
        raise ContentError(
            path, entry, f"unknown source ids: {', '.join(map(str, unknown_sources))}"
        )
    if len(set(source_ids)) != len(source_ids):
        raise ContentError(path, entry, "a source id is listed twice")
    if not source_ids and not clinic:
        raise ContentError(path, entry, "a medical answer must cite at least one source")

    messages = data["messages"]
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise ContentError(path, entry, f"'messages' must be a list of 1 to {MAX_MESSAGES} texts")
    texts = tuple(_require_text(path, entry, "messages", m) for m in messages)
    for text in texts:
        _check_placeholders(path, entry, text, allowed=clinic)
    _check_length(path, entry, texts, ENGLISH)

    return Answer(
        topic=topic,
        title=_require_text(path, entry, "title", data["title"]),
        reviewed=reviewed,
        sources=tuple(sources[s] for s in source_ids),
        clinic=clinic,
        messages=texts,
    )


def _check_length(path: Path, entry: str, texts: tuple[str, ...], language: str) -> None:
    words = sum(len(text.split()) for text in texts)
    limit = MAX_ANSWER_WORDS[language]
    if words > limit:
        raise ContentError(path, entry, f"{words} words; keep answers to {limit}")


def _check_same_placeholders(path: Path, entry: str, text: str, english: str) -> None:
    """A translation shows what its English text shows: the same clinic details, the same links."""
    try:
        names, english_names = placeholder_names(text), placeholder_names(english)
    except ValueError as error:
        raise ContentError(path, entry, f"bad braces in {text!r}: {error}") from error
    if names != english_names:
        raise ContentError(
            path,
            entry,
            f"placeholders {sorted(names)} differ from the English text's {sorted(english_names)}",
        )


def load_translated_answer(path: Path, english: Answer, language: str) -> Answer:
    """An answer in another language: its words, with the English entry's facts behind them.

    It must translate the English entry as last reviewed (`translated_from`),
    message for message, with the same placeholders in each.
    """
    data = _read_yaml(path)
    entry = f"answer '{path.stem}' ({language})"
    if not isinstance(data, dict):
        raise ContentError(path, entry, "expected a mapping")
    _require_keys(path, entry, data, TRANSLATED_ANSWER_KEYS, "keys")
    if data["topic"] != english.topic:
        raise ContentError(path, entry, f"topic '{data['topic']}' does not match the file name")
    if data["translated_from"] != english.reviewed:
        raise ContentError(
            path,
            entry,
            f"translates the English entry of {data['translated_from']}, but that entry was "
            f"reviewed on {english.reviewed.isoformat()}: update the translation, then "
            "'translated_from'",
        )
    messages = data["messages"]
    if not isinstance(messages, list) or len(messages) != len(english.messages):
        raise ContentError(
            path, entry, f"'messages' must be a list of {len(english.messages)}, as in English"
        )
    texts = tuple(_require_text(path, entry, "messages", m) for m in messages)
    pairs = zip(texts, english.messages, strict=True)
    for number, (text, english_text) in enumerate(pairs, start=1):
        _check_same_placeholders(path, f"{entry}, message {number}", text, english_text)
    _check_length(path, entry, texts, language)
    return dataclasses.replace(
        english, title=_require_text(path, entry, "title", data["title"]), messages=texts
    )


def load_answers(folder: Path, sources: dict[str, Source]) -> dict[str, Answer]:
    if not folder.is_dir():
        raise ContentError(folder, "(folder)", "folder is missing")
    answers = {}
    for path in sorted(folder.glob("*.yml")):
        answer = load_answer(path, sources)
        answers[answer.topic] = answer
    if not answers:
        raise ContentError(folder, "(folder)", "holds no answers")
    return answers


def load_translated_answers(
    folder: Path, english: dict[str, Answer], language: str
) -> dict[str, Answer]:
    """Every English answer in another language: none missing, none extra."""
    if not folder.is_dir():
        raise ContentError(folder, "(folder)", f"folder is missing: no answers in '{language}'")
    files = {path.stem: path for path in folder.glob("*.yml")}
    missing = sorted(english.keys() - files.keys())
    if missing:
        raise ContentError(folder, "(folder)", f"no '{language}' text for: {', '.join(missing)}")
    extra = sorted(files.keys() - english.keys())
    if extra:
        raise ContentError(folder, "(folder)", f"no English entry for: {', '.join(extra)}")
    return {
        topic: load_translated_answer(files[topic], answer, language)
        for topic, answer in english.items()
    }


def load_translated_replies(path: Path, english: dict[str, Reply]) -> dict[str, Reply]:
    replies = load_replies(path)
    for key, reply in replies.items():
        _check_same_placeholders(path, key, reply.text, english[key].text)
    return replies


def load_translated_page(path: Path, english: PageTexts) -> PageTexts:
    page = load_page(path)
    for key, text in page.texts.items():
        _check_same_placeholders(path, key, text, english.texts[key])
    banners = {"handoff_banner": (page.handoff_banner, english.handoff_banner)}
    banners.update(
        {
            f"emergency_banners.{category}": (banner, english.emergency_banners[category])
            for category, banner in page.emergency_banners.items()
        }
    )
    for entry, (banner, english_banner) in banners.items():
        _check_same_placeholders(path, entry, banner.text, english_banner.text)
    return page


@dataclass(frozen=True)
class Texts:
    """Everything a patient reads, in one language."""

    language: str
    answers: dict[str, Answer]
    replies: dict[str, Reply]
    page: PageTexts
    clinic: ClinicProfile

    @classmethod
    def load_english(cls, root: Path, sources: dict[str, Source]) -> Texts:
        return cls(
            language=ENGLISH,
            answers=load_answers(root / "answers", sources),
            replies=load_replies(root / "replies.yml"),
            page=load_page(root / "page.yml"),
            clinic=load_clinic(root / "clinic.yml"),
        )

    @classmethod
    def load_translation(cls, root: Path, english: Texts, language: str) -> Texts:
        """`content/<language>/`: every English text, translated."""
        folder = root / language
        return cls(
            language=language,
            answers=load_translated_answers(folder / "answers", english.answers, language),
            replies=load_translated_replies(folder / "replies.yml", english.replies),
            page=load_translated_page(folder / "page.yml", english.page),
            clinic=load_translated_clinic(folder / "clinic.yml", english.clinic, language),
        )


@dataclass(frozen=True)
class Content:
    """A validated snapshot of the whole content folder, in every language.

    The methods take the patient's language (`LANGUAGES`). One the content
    does not have, which only a bug could pass, gets English and a warning in
    the log rather than no reply at all.
    """

    sources: dict[str, Source]
    texts: dict[str, Texts]

    @classmethod
    def load(cls, root: Path) -> Content:
        sources = load_sources(root / "sources.yml")
        english = Texts.load_english(root, sources)
        texts = {ENGLISH: english}
        for language in LANGUAGES[1:]:
            texts[language] = Texts.load_translation(root, english, language)
        return cls(sources=sources, texts=texts)

    def in_language(self, language: str | None) -> Texts:
        texts = self.texts.get(language or ENGLISH)
        if texts is None:
            logger.warning("No content in language %r: answering in English", language)
            return self.texts[ENGLISH]
        return texts

    # The English texts, by their old names: the topic ids and the clinic's
    # phone and names are the same in every language.
    @property
    def answers(self) -> dict[str, Answer]:
        return self.texts[ENGLISH].answers

    @property
    def replies(self) -> dict[str, Reply]:
        return self.texts[ENGLISH].replies

    @property
    def clinic(self) -> ClinicProfile:
        return self.texts[ENGLISH].clinic

    def title(self, topic: str, language: str | None = ENGLISH) -> str:
        """A topic's title (a button's words); KeyError if unknown."""
        return self.in_language(language).answers[topic].title

    def reply(self, name: str, language: str | None = ENGLISH) -> str:
        """A fixed reply with the clinic profile filled in; KeyError if unknown."""
        texts = self.in_language(language)
        return texts.replies[name].text.format_map(texts.clinic.placeholders())

    def buttons(self, name: str, language: str | None = ENGLISH) -> list[dict[str, str]]:
        """A fixed reply's buttons, as the dispatcher takes them (empty if it has none)."""
        texts = self.in_language(language)
        values = texts.clinic.placeholders()
        return [
            {"title": button.title.format_map(values), "payload": button.payload}
            for button in texts.replies[name].buttons
        ]

    def page_texts(self, language: str | None = ENGLISH) -> dict[str, Any]:
        """The web page's texts with the clinic profile filled in.

        The placeholders the page fills itself (`PAGE_PLACEHOLDERS`) stay as
        they are written, `{handoff_id}` for example.
        """
        texts = self.in_language(language)
        values = texts.clinic.placeholders()
        values.update(
            {name: f"{{{name}}}" for names in PAGE_PLACEHOLDERS.values() for name in names}
        )

        def fill(banner: Banner) -> dict[str, str]:
            return {
                "title": banner.title.format_map(values),
                "text": banner.text.format_map(values),
            }

        return {
            **{key: text.format_map(values) for key, text in texts.page.texts.items()},
            "handoff_banner": fill(texts.page.handoff_banner),
            "emergency_banners": {
                category: fill(banner) for category, banner in texts.page.emergency_banners.items()
            },
        }

    def render(self, topic: str, language: str | None = ENGLISH) -> RenderedAnswer:
        """The answer for a topic with the clinic profile filled in; KeyError if unknown."""
        texts = self.in_language(language)
        answer = texts.answers[topic]
        values = texts.clinic.placeholders()
        return RenderedAnswer(
            topic=answer.topic,
            title=answer.title,
            reviewed=answer.reviewed,
            sources=answer.sources,
            messages=tuple(m.format_map(values) for m in answer.messages),
            language=texts.language,
        )


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changed on disk: every content file's name, size and modification time."""
    files = sorted(p for p in root.rglob("*.yml") if p.is_file())
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


class ContentStore:
    """Serves the latest valid content and reloads it when its files change.

    Edits to `content/` take effect without retraining or restarting: the
    store looks for changed files at most once every `check_interval` seconds.
    An edit that breaks validation is logged and ignored, so patients keep
    getting the last good answers while staff fix the file.
    """

    def __init__(self, root: Path = DEFAULT_CONTENT_DIR, check_interval: float = 1.0) -> None:
        self.root = Path(root)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._signature = _signature(self.root)
        self._content = Content.load(self.root)
        self._checked_at = time.monotonic()

    @property
    def content(self) -> Content:
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval:
            with self._lock:
                self._checked_at = now
                self._reload_if_changed()
        return self._content

    def _reload_if_changed(self) -> None:
        signature = _signature(self.root)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            self._content = Content.load(self.root)
        except ContentError as error:
            logger.error("Content change rejected, still serving the previous content: %s", error)
            return
        logger.info("Content reloaded from %s", self.root)


_default_store: ContentStore | None = None


def default_store() -> ContentStore:
    """The process-wide store for `$CONTENT_DIR` (default: the project's `content/`)."""
    global _default_store
    if _default_store is None:
        _default_store = ContentStore(settings().content_dir)
    return _default_store
