"""Every text a patient reads exists in Spanish, and a missing or stale one stops the content."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from core import contract
from core.content_store import (
    TRANSLATED_CLINIC_KEYS,
    Content,
    join_words,
    placeholder_names,
)
from core.language import LANGUAGES as DETECTED_LANGUAGES
from core.languages import LANGUAGES
from tests.unit.content_edits import load_error, remove_entry, rewrite

SPANISH = "es"


def test_the_content_speaks_the_languages_the_detector_tells_apart() -> None:
    assert set(LANGUAGES) == set(DETECTED_LANGUAGES.values())


def test_every_english_text_has_its_spanish_text(content: Content) -> None:
    english, spanish = content.in_language("en"), content.in_language(SPANISH)
    assert spanish.answers.keys() == english.answers.keys()
    assert spanish.replies.keys() == english.replies.keys()
    assert spanish.page.texts.keys() == english.page.texts.keys()
    assert spanish.page.emergency_banners.keys() == english.page.emergency_banners.keys()
    for topic, answer in spanish.answers.items():
        assert answer.messages != english.answers[topic].messages, f"{topic} is not translated"
        assert answer.sources == english.answers[topic].sources
    for name, reply in spanish.replies.items():
        assert reply.text != english.replies[name].text, f"reply {name} is not translated"


def test_a_spanish_answer_is_the_english_one_in_spanish(content: Content) -> None:
    english, spanish = content.render("cost", "en"), content.render("cost", SPANISH)
    assert spanish.language == SPANISH and english.language == "en"
    assert (spanish.topic, spanish.reviewed, spanish.sources) == (
        english.topic,
        english.reviewed,
        english.sources,
    )
    assert content.clinic.phone in " ".join(spanish.messages)
    assert "{" not in " ".join(spanish.messages)
    item = contract.answer_item(spanish)
    assert (
        item["language"] == SPANISH and item["sources"] == contract.answer_item(english)["sources"]
    )


@pytest.mark.parametrize("topic", ["cost", "insurance", "clinic_location_hours"])
def test_spanish_answers_use_the_spanish_clinic_sentences(content: Content, topic: str) -> None:
    spanish = content.in_language(SPANISH).clinic
    english = content.clinic
    text = " ".join(content.render(topic, SPANISH).messages)
    shown = [key for key in TRANSLATED_CLINIC_KEYS if getattr(spanish, key) in text]
    leaked = [
        key
        for key in TRANSLATED_CLINIC_KEYS
        if getattr(english, key) != getattr(spanish, key) and getattr(english, key) in text
    ]
    assert shown and not leaked, f"{topic}: Spanish {shown}, English {leaked}"


def test_numbers_of_every_english_answer_are_in_its_spanish_answer(content: Content) -> None:
    """Figures, phone numbers and doses say the same: none dropped or changed."""
    number = re.compile(r"\d+(?:[.,]\d+)*")
    changed = {}
    for topic in content.answers:
        english = " ".join(content.render(topic, "en").messages).replace(",", "")
        spanish = " ".join(content.render(topic, SPANISH).messages).replace(",", "")
        spanish = spanish.replace(".", "")  # "1.000" is how Spanish may write 1,000
        missing = [n for n in number.findall(english) if n.replace(".", "") not in spanish]
        if missing:
            changed[topic] = missing
    assert not changed, f"numbers missing from the Spanish answers: {changed}"


def test_spanish_replies_show_the_same_placeholders(content: Content) -> None:
    spanish = content.in_language(SPANISH)
    for name, reply in spanish.replies.items():
        english = content.replies[name]
        assert placeholder_names(reply.text) == placeholder_names(english.text), name
        assert [b.payload for b in reply.buttons] == [b.payload for b in english.buttons], name


def test_spanish_lists_are_joined_with_y() -> None:
    assert join_words(["BCBS", "Cigna", "Aetna"], SPANISH) == "BCBS, Cigna y Aetna"
    assert join_words(["BCBS", "Cigna"]) == "BCBS and Cigna"


def test_a_language_the_content_lacks_gets_english_and_a_warning(
    content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert content.reply("fallback", "fr") == content.reply("fallback", "en")
    assert "fr" in caplog.text


def test_missing_spanish_answer_is_refused(content_copy: Path) -> None:
    (content_copy / "es" / "answers" / "cost.yml").unlink()
    error = load_error(content_copy)
    assert "answers" in error.path and "cost" in error.problem and "'es'" in error.problem


def test_spanish_answer_without_english_entry_is_refused(content_copy: Path) -> None:
    answers = content_copy / "es" / "answers"
    (answers / "tattoos.yml").write_text((answers / "cost.yml").read_text())
    assert "tattoos" in load_error(content_copy).problem


def test_missing_spanish_folder_is_refused(content_copy: Path) -> None:
    for path in sorted((content_copy / "es").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    assert "es" in load_error(content_copy).path


def test_translation_of_an_older_review_is_refused(content_copy: Path) -> None:
    english = content_copy / "answers" / "side_effects.yml"
    reviewed = re.search(r"reviewed: (\S+)", english.read_text()).group(1)
    rewrite(english, f"reviewed: {reviewed}", "reviewed: 2099-01-01")
    error = load_error(content_copy)
    assert "side_effects" in error.entry and "2099-01-01" in error.problem


def test_spanish_answer_with_a_message_missing_is_refused(content_copy: Path) -> None:
    path = content_copy / "es" / "answers" / "cost.yml"
    lines = path.read_text().splitlines()
    last_message = max(i for i, line in enumerate(lines) if line.lstrip().startswith("- "))
    path.write_text("\n".join(lines[:last_message] + lines[last_message + 1 :]) + "\n")
    assert "as in English" in load_error(content_copy).problem


def test_spanish_answer_with_another_placeholder_is_refused(content_copy: Path) -> None:
    rewrite(content_copy / "es" / "answers" / "cost.yml", "{phone}", "{booking_url}")
    error = load_error(content_copy)
    assert "cost" in error.entry and "booking_url" in error.problem


def test_spanish_reply_missing_is_refused(content_copy: Path) -> None:
    remove_entry(content_copy / "es" / "replies.yml", "fallback")
    error = load_error(content_copy)
    assert "es" in error.path and "fallback" in error.problem


def test_spanish_page_text_missing_is_refused(content_copy: Path) -> None:
    remove_entry(content_copy / "es" / "page.yml", "intro")
    assert "intro" in load_error(content_copy).problem


def test_spanish_clinic_sentence_missing_is_refused(content_copy: Path) -> None:
    remove_entry(content_copy / "es" / "clinic.yml", "hours")
    error = load_error(content_copy)
    assert "es" in error.path and "hours" in error.problem
