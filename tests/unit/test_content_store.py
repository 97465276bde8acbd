"""The content store refuses broken content and names what is wrong."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from core.content_store import Content, ContentStore
from tests.unit.content_edits import load_error, rewrite


def test_shipped_content_loads(content: Content) -> None:
    assert len(content.answers) == 41
    assert {"seed-000", "seed-001"} <= content.sources.keys()


def test_every_source_has_an_address_except_documents_the_clinic_supplied(
    content: Content,
) -> None:
    supplied = {s.id for s in content.sources.values() if s.supplied_by_clinic}
    assert supplied == {"seed-000", "seed-001"}
    for source in content.sources.values():
        if source.supplied_by_clinic:
            assert source.url is None and "supplied by the clinic" in source.title
        else:
            assert source.url and source.url.startswith(("https://", "http://")), source


def test_the_generic_facts_sheet_is_no_longer_a_source(content: Content) -> None:
    """A patient cannot open the team's facts sheet: answers cite what it rests on."""
    assert "facts" not in content.sources


def test_source_without_url_names_file_entry_and_problem(content_copy: Path) -> None:
    rewrite(
        content_copy / "sources.yml",
        '    url: "https://doi.org/10.1097/AAP.0000000000000808"\n',
        "",
    )
    error = load_error(content_copy)
    assert error.path.endswith("sources.yml")
    assert error.entry == "source 'cohen-2018'"
    assert "missing 'url'" in error.problem


def test_null_url_is_refused_for_a_source_the_clinic_did_not_supply(
    content_copy: Path,
) -> None:
    rewrite(
        content_copy / "sources.yml",
        '"https://doi.org/10.1097/AAP.0000000000000808"',
        "null",
    )
    error = load_error(content_copy)
    assert error.entry == "source 'cohen-2018'"
    assert "supplied_by_clinic: true" in error.problem


def test_a_clinic_supplied_document_must_be_marked_to_go_without_url(
    content_copy: Path,
) -> None:
    rewrite(content_copy / "sources.yml", "    supplied_by_clinic: true\n", "")
    error = load_error(content_copy)
    assert error.entry == "source 'seed-000'"
    assert "'url' is null" in error.problem


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "doi:10.1097/AAP.0000000000000808",
        "www.asra.com/guidelines",
        "https://",
        "https://doi.org/10.1097/AAP 0000000000000808",
        "",
    ],
)
def test_url_a_browser_cannot_open_is_refused(content_copy: Path, url: str) -> None:
    rewrite(
        content_copy / "sources.yml",
        '"https://doi.org/10.1097/AAP.0000000000000808"',
        repr(url),
    )
    error = load_error(content_copy)
    assert error.entry == "source 'cohen-2018'"
    assert "'url' must be a DOI link" in error.problem


def test_supplied_by_clinic_must_be_true_or_false(content_copy: Path) -> None:
    rewrite(
        content_copy / "sources.yml",
        "    supplied_by_clinic: true\n",
        "    supplied_by_clinic: maybe\n",
    )
    error = load_error(content_copy)
    assert error.entry == "source 'seed-000'"
    assert "'supplied_by_clinic' must be true or false" in error.problem


def test_misspelt_source_key_is_refused(content_copy: Path) -> None:
    rewrite(content_copy / "sources.yml", "    url: null\n", "    link: null\n")
    error = load_error(content_copy)
    assert error.entry == "source 'seed-000'"
    assert "unknown keys: link" in error.problem


def test_clinic_answer_fills_profile_placeholders(content: Content) -> None:
    rendered = content.render("insurance")
    text = " ".join(rendered.messages)
    assert "BCBS Texas, UnitedHealthcare and Cigna" in text
    assert content.clinic.phone in text
    assert "{" not in text


def test_unknown_source_names_file_entry_and_source(content_copy: Path) -> None:
    rewrite(content_copy / "answers" / "cost.yml", "sources: [", "sources: [made-up-study, ")
    error = load_error(content_copy)
    assert error.path.endswith("cost.yml")
    assert error.entry == "answer 'cost'"
    assert "made-up-study" in error.problem


def test_missing_messages_key_is_reported(content_copy: Path) -> None:
    path = content_copy / "answers" / "onset.yml"
    path.write_text(path.read_text().split("messages:")[0])
    error = load_error(content_copy)
    assert error.entry == "answer 'onset'"
    assert "messages" in error.problem


def test_malformed_yaml_is_reported(content_copy: Path) -> None:
    (content_copy / "answers" / "dosing.yml").write_text("topic: dosing\nmessages: [unclosed\n")
    error = load_error(content_copy)
    assert error.path.endswith("dosing.yml")
    assert "not valid YAML" in error.problem


def test_topic_must_match_file_name(content_copy: Path) -> None:
    rewrite(content_copy / "answers" / "onset.yml", "topic: onset", "topic: onsett")
    assert "does not match the file name" in load_error(content_copy).problem


def test_unknown_placeholder_is_reported(content_copy: Path) -> None:
    rewrite(content_copy / "answers" / "booking.yml", "{phone}", "{fax}")
    assert "fax" in load_error(content_copy).problem


def test_placeholder_in_a_medical_answer_is_refused(content_copy: Path) -> None:
    path = content_copy / "answers" / "side_effects.yml"
    rewrite(path, "Ketamine has real side effects.", "Ketamine at {clinic_name} has side effects.")
    assert "clinic: true" in load_error(content_copy).problem


def test_medical_answer_without_sources_is_refused(content_copy: Path) -> None:
    path = content_copy / "answers" / "evidence.yml"
    lines = [
        "sources: []" if line.startswith("sources:") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")
    assert "at least one source" in load_error(content_copy).problem


def test_overlong_answer_is_refused(content_copy: Path) -> None:
    path = content_copy / "answers" / "onset.yml"
    rewrite(path, "messages:\n", 'messages:\n  - "' + "word " * 130 + '"\n')
    assert "words" in load_error(content_copy).problem


def test_missing_clinic_setting_is_reported(content_copy: Path) -> None:
    rewrite(content_copy / "clinic.yml", "phone:", "telephone:")
    error = load_error(content_copy)
    assert error.path.endswith("clinic.yml")
    assert "phone" in error.problem


def test_missing_sources_file_is_reported(content_copy: Path) -> None:
    (content_copy / "sources.yml").unlink()
    error = load_error(content_copy)
    assert error.path.endswith("sources.yml")
    assert "missing" in error.problem


def test_action_server_refuses_to_start_on_broken_content(content_copy: Path) -> None:
    import subprocess
    import sys

    rewrite(content_copy / "answers" / "cost.yml", "sources: [", "sources: [nope, ")
    result = subprocess.run(
        [sys.executable, "-m", "actions"],
        env={"CONTENT_DIR": str(content_copy), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "cost.yml" in result.stderr and "nope" in result.stderr


def test_edited_answer_is_served_without_restart(content_copy: Path) -> None:
    store = ContentStore(content_copy, check_interval=0)
    path = content_copy / "answers" / "onset.yml"
    rewrite(path, "Some people feel some relief", "A freshly reviewed line: some feel relief")
    time.sleep(0.01)
    assert store.content.answers["onset"].messages[0].startswith("A freshly reviewed line")


def test_broken_edit_keeps_last_good_content(
    content_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ContentStore(content_copy, check_interval=0)
    before = store.content.answers["onset"]
    (content_copy / "answers" / "onset.yml").write_text("topic: [broken\n")
    with caplog.at_level(logging.ERROR):
        assert store.content.answers["onset"] == before
    assert "onset.yml" in caplog.text
