"""The curated content store: patient-facing answers, their sources, the clinic profile.

Plain Python, no Rasa: the actions call it, tests use it directly.

Layout of `content/`:
- `answers/<topic>.yml`: one entry per topic (text, sources, review date);
- `sources.yml`: every citable source, by id, with its title;
- `replies.yml`: the fixed replies the actions send (intro, clarify, fallback);
- `clinic.yml`: the deploying clinic's profile, filling `{placeholders}` in
  replies and in answers marked `clinic: true`.

Everything is validated on load. A problem raises `ContentError` naming the
file, the entry and what is wrong, so the action server refuses to start on
broken content instead of answering patients with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.settings import CONTENT_DIR, settings

logger = logging.getLogger(__name__)

DEFAULT_CONTENT_DIR = CONTENT_DIR

ANSWER_KEYS = {"topic", "title", "reviewed", "sources", "clinic", "messages"}
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
}
CLINIC_KEYS = {"clinic_name", "phone", "booking_url", "hours", "insurers", "prices"}
MAX_MESSAGES = 4
MAX_ANSWER_WORDS = 120


class ContentError(Exception):
    """Content that must not reach a patient: names the file, the entry and the problem."""

    def __init__(self, path: Path | str, entry: str, problem: str) -> None:
        self.path = str(path)
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


@dataclass(frozen=True)
class Source:
    id: str
    title: str


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
    clinic_name: str
    phone: str
    booking_url: str
    hours: str
    insurers: tuple[str, ...]
    prices: str

    def placeholders(self) -> dict[str, str]:
        """The values `{placeholders}` in clinic answers are filled with."""
        return {
            "clinic_name": self.clinic_name,
            "phone": self.phone,
            "booking_url": self.booking_url,
            "hours": self.hours,
            "insurers": join_words(self.insurers),
            "prices": self.prices,
        }


@dataclass(frozen=True)
class RenderedAnswer:
    """An answer ready for a patient: placeholders filled."""

    topic: str
    title: str
    reviewed: dt.date
    sources: tuple[Source, ...]
    messages: tuple[str, ...]


def join_words(items: tuple[str, ...] | list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


def _require_keys(path: Path, entry: str, data: dict, expected: set[str], what: str) -> None:
    """Exactly the expected keys: a missing one and a misspelt one are both errors."""
    missing = expected - data.keys()
    unknown = data.keys() - expected
    if missing:
        raise ContentError(path, entry, f"missing {what}: {', '.join(sorted(missing))}")
    if unknown:
        raise ContentError(path, entry, f"unknown {what}: {', '.join(sorted(map(str, unknown)))}")


def _require_text(path: Path, entry: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, entry, f"'{key}' must be non-empty text")
    return value.strip()


def load_sources(path: Path) -> dict[str, Source]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise ContentError(path, "(file)", "expected a mapping under 'sources'")
    sources = {}
    for source_id, body in data["sources"].items():
        entry = f"source '{source_id}'"
        if not isinstance(body, dict):
            raise ContentError(path, entry, "expected a mapping with a 'title'")
        sources[source_id] = Source(
            source_id, _require_text(path, entry, "title", body.get("title"))
        )
    return sources


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
    return ClinicProfile(insurers=tuple(i.strip() for i in insurers), **texts)


def _check_placeholders(path: Path, entry: str, text: str, allowed: bool = True) -> None:
    try:
        names = placeholder_names(text)
    except ValueError as error:
        raise ContentError(path, entry, f"bad braces in {text!r}: {error}") from error
    if names and not allowed:
        raise ContentError(path, entry, f"placeholders {sorted(names)} need 'clinic: true'")
    unknown_names = names - CLINIC_KEYS
    if unknown_names:
        raise ContentError(path, entry, f"unknown placeholders: {sorted(unknown_names)}")


def load_replies(path: Path) -> dict[str, str]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of reply names to texts")
    _require_keys(path, "(file)", data, REPLY_KEYS, "replies")
    replies = {}
    for key in sorted(REPLY_KEYS):
        replies[key] = _require_text(path, key, key, data[key])
        _check_placeholders(path, key, replies[key])
    return replies


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
    words = sum(len(text.split()) for text in texts)
    if words > MAX_ANSWER_WORDS:
        raise ContentError(path, entry, f"{words} words; keep answers to {MAX_ANSWER_WORDS}")

    return Answer(
        topic=topic,
        title=_require_text(path, entry, "title", data["title"]),
        reviewed=reviewed,
        sources=tuple(sources[s] for s in source_ids),
        clinic=clinic,
        messages=texts,
    )


@dataclass(frozen=True)
class Content:
    """A validated snapshot of the whole content folder."""

    answers: dict[str, Answer]
    sources: dict[str, Source]
    replies: dict[str, str]
    clinic: ClinicProfile

    @classmethod
    def load(cls, root: Path) -> Content:
        sources = load_sources(root / "sources.yml")
        replies = load_replies(root / "replies.yml")
        clinic = load_clinic(root / "clinic.yml")
        answer_dir = root / "answers"
        if not answer_dir.is_dir():
            raise ContentError(answer_dir, "(folder)", "folder is missing")
        answers = {}
        for path in sorted(answer_dir.glob("*.yml")):
            answer = load_answer(path, sources)
            answers[answer.topic] = answer
        if not answers:
            raise ContentError(answer_dir, "(folder)", "holds no answers")
        return cls(answers=answers, sources=sources, replies=replies, clinic=clinic)

    def reply(self, name: str) -> str:
        """A fixed reply with the clinic profile filled in; KeyError if unknown."""
        return self.replies[name].format_map(self.clinic.placeholders())

    def render(self, topic: str) -> RenderedAnswer:
        """The answer for a topic with the clinic profile filled in; KeyError if unknown."""
        answer = self.answers[topic]
        values = self.clinic.placeholders()
        return RenderedAnswer(
            topic=answer.topic,
            title=answer.title,
            reviewed=answer.reviewed,
            sources=answer.sources,
            messages=tuple(m.format_map(values) for m in answer.messages),
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
