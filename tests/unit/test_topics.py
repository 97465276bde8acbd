"""`make topics`: a topic's three files are enough; its intent, rule and story are generated."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from core.settings import PROJECT_ROOT
from tools import topics

# What `make topics` reads and writes, copied so that the tests can break it.
PROJECT_FILES = [
    "content/answers",
    "data/topics",
    "data/topic_rules.yml",
    "domain.yml",
    "tests/test_stories.yml",
    "tests/data/nlu_holdout.yml",
]
PARKING_CATALOGUE = """\
topics:
  - id: parking
    asks: ["Is there parking?", "where do I leave the car"]
    sources: []
    clinic: true
"""
PARKING_TRAINING = """\
version: "3.1"

nlu:
- intent: parking
  examples: |
    - is there parking
    - where can I park
"""
PARKING_HOLDOUT = """
- intent: parking
  examples: |
    - can I leave my car at the clinic
"""


@pytest.fixture
def project(tmp_path: Path) -> topics.Project:
    for name in PROJECT_FILES:
        source, target = PROJECT_ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    return topics.Project(tmp_path)


@pytest.fixture
def catalogue_files(tmp_path: Path) -> list[Path]:
    """The real catalogue, then a second file: the parking topic (like topics-added.yml)."""
    added = tmp_path / "topics-parking.yml"
    added.write_text(PARKING_CATALOGUE)
    return [*topics.CATALOGUE_FILES, added]


def add_parking_topic(project: topics.Project) -> None:
    answer = (project.answers / "cost.yml").read_text().replace("topic: cost", "topic: parking")
    (project.answers / "parking.yml").write_text(answer)
    (project.training / "parking.yml").write_text(PARKING_TRAINING)
    with project.holdout.open("a") as holdout:
        holdout.write(PARKING_HOLDOUT)


def outside_generated_parts(text: str) -> str:
    begin, end = text.index(topics.BEGIN), text.index(topics.END)
    return text[:begin] + text[end:]


def test_the_project_is_up_to_date(project: topics.Project) -> None:
    catalogue = topics.read_catalogue()
    assert topics.problems(catalogue, project) == []
    assert topics.stale_files(catalogue, project) == []


def test_a_new_topic_needs_only_its_three_files_and_make_topics(
    project: topics.Project, catalogue_files: list[Path], capsys: pytest.CaptureFixture
) -> None:
    before = {path: path.read_text() for path in (project.domain, project.stories)}
    add_parking_topic(project)

    assert topics.main([], project, catalogue_files) == 0
    assert "updated domain.yml" in capsys.readouterr().out

    intents = yaml.safe_load(project.domain.read_text())["intents"]
    # In its alphabetical place among the topics.
    assert intents.index("parking") - 1 == intents.index("opioids_and_ketamine")
    assert intents.index("parking") + 1 == intents.index("payment_options")
    rules = yaml.safe_load(project.rules.read_text())["rules"]
    steps = [{"intent": "parking"}, {"action": "action_answer_topic"}]
    assert {"rule": "answer parking", "steps": steps} in rules
    stories = yaml.safe_load(project.stories.read_text())["stories"]
    [story] = [story for story in stories if story["story"] == "topic parking"]
    assert story["steps"][0] == {"user": "Is there parking?\n", "intent": "parking"}
    # Hand-written parts are left exactly as they were.
    for path, text in before.items():
        assert outside_generated_parts(path.read_text()) == outside_generated_parts(text)
    # Running it again changes nothing, and the check agrees.
    assert topics.main([], project, catalogue_files) == 0
    assert "up to date" in capsys.readouterr().out
    assert topics.main(["--check"], project, catalogue_files) == 0


def test_nothing_is_generated_until_the_topic_has_its_three_files(
    project: topics.Project, catalogue_files: list[Path], capsys: pytest.CaptureFixture
) -> None:
    (project.answers / "parking.yml").write_text((project.answers / "cost.yml").read_text())
    before = project.domain.read_text()

    assert topics.main([], project, catalogue_files) == 1
    err = capsys.readouterr().err
    assert "parking: its training examples, data/topics/parking.yml, are missing" in err
    assert "parking: no held-out examples in tests/data/nlu_holdout.yml" in err
    assert project.domain.read_text() == before


def test_an_answer_missing_from_the_catalogue_is_reported(project: topics.Project) -> None:
    add_parking_topic(project)
    assert topics.problems(topics.read_catalogue(), project) == [
        "content/answers/parking.yml: parking is not in the catalogue"
    ]


def test_training_examples_must_be_for_their_own_topic(project: topics.Project) -> None:
    training = project.training / "cost.yml"
    training.write_text(training.read_text().replace("intent: cost", "intent: insurance"))
    assert topics.problems(topics.read_catalogue(), project) == [
        "data/topics/cost.yml: holds ['insurance'], not only cost"
    ]


def test_a_hand_edit_inside_a_generated_part_is_stale_until_make_topics(
    project: topics.Project, capsys: pytest.CaptureFixture
) -> None:
    original = project.domain.read_text()
    project.domain.write_text(original.replace("  - booking\n", ""))
    catalogue = topics.read_catalogue()
    assert topics.stale_files(catalogue, project) == ["domain.yml"]

    assert topics.main(["--check"], project) == 1
    assert (
        "domain.yml: generated topic parts are stale: run `make topics`" in capsys.readouterr().err
    )
    assert topics.main([], project) == 0
    assert project.domain.read_text() == original


def test_a_deleted_generated_file_is_stale(project: topics.Project) -> None:
    project.rules.unlink()
    assert topics.stale_files(topics.read_catalogue(), project) == ["data/topic_rules.yml"]


def test_a_file_without_its_markers_is_refused(project: topics.Project) -> None:
    project.stories.write_text(project.stories.read_text().replace(topics.END, ""))
    with pytest.raises(topics.TopicError, match=re.escape("test_stories.yml: needs one line")):
        topics.stale_files(topics.read_catalogue(), project)


def test_the_catalogue_is_read_from_several_files_in_order(catalogue_files: list[Path]) -> None:
    catalogue = topics.read_catalogue(catalogue_files)
    assert catalogue[: len(topics.read_catalogue())] == topics.read_catalogue()
    assert catalogue[-1]["id"] == "parking"


def test_a_topic_catalogued_twice_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "topics.yml", tmp_path / "topics-added.yml"
    first.write_text(PARKING_CATALOGUE)
    second.write_text(PARKING_CATALOGUE)
    with pytest.raises(
        topics.TopicError, match=re.escape("topics-added.yml: parking: already catalogued")
    ):
        topics.read_catalogue([first, second])


def test_a_missing_catalogue_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(
        topics.TopicError, match=re.escape("topic catalogue missing (set SHARED_DIR)")
    ):
        topics.read_catalogue([tmp_path / "topics.yml"])
