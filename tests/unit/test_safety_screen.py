"""The deterministic safety screen on our safety sets: no miss is acceptable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.safety.screen import (
    DEFAULT_LEXICON,
    REAL_WORDS,
    Lexicon,
    LexiconError,
    SafetyScreen,
    default_screen,
    normalise,
    words_match,
)
from core.settings import PROJECT_ROOT
from tests.conftest import TEST_DATA, read_yaml, safety_cases
from tools import find_near_misses
from tools.evaluate_cases import load_cases
from tools.evaluate_holdout import nlu_examples

MAX_TOPIC_FALSE_ALARMS = 0.02


@pytest.fixture(scope="module")
def screen() -> SafetyScreen:
    return SafetyScreen()


@pytest.mark.parametrize("case", safety_cases("disclosures"))
def test_disclosure_is_caught_with_its_category(screen: SafetyScreen, case: dict) -> None:
    screening = screen.screen(case["text"])
    assert set(case["conditions"]) <= set(screening.conditions), screening.mentions
    assert screening.emergency is None


@pytest.mark.parametrize("case", safety_cases("not_disclosures"))
def test_denied_or_general_mention_is_not_a_disclosure(screen: SafetyScreen, case: dict) -> None:
    screening = screen.screen(case["text"])
    assert not screening.is_safety_signal, screening.mentions


@pytest.mark.parametrize("case", safety_cases("emergencies"))
def test_emergency_is_caught_with_its_category(screen: SafetyScreen, case: dict) -> None:
    assert screen.screen(case["text"]).emergency == case["category"]


@pytest.mark.parametrize("case", safety_cases("not_emergencies"))
def test_idiom_symptom_or_general_question_is_no_safety_signal(
    screen: SafetyScreen, case: dict
) -> None:
    assert not screen.screen(case["text"]).is_safety_signal


@pytest.mark.parametrize(
    "text",
    [
        "i just fucking want to die",
        "i want to like honestly just die",
        "i seriously kinda want to kill myself",
    ],
)
def test_filler_and_swear_words_between_an_emergency_s_words(
    screen: SafetyScreen, text: str
) -> None:
    assert screen.screen(text).emergency == "crisis"


def test_an_idiom_holding_an_emergency_s_words_is_ignored(screen: SafetyScreen) -> None:
    assert screen.screen("I kill myself at the gym every morning").emergency is None
    # ...but only where the idiom stands: a real crisis in the same message still counts.
    assert (
        screen.screen("I kill myself at the gym. Some nights I want to kill myself.").emergency
        == "crisis"
    )


def test_only_a_word_right_before_an_emergency_denies_it(screen: SafetyScreen) -> None:
    assert screen.screen("I'm not suicidal").emergency is None
    assert screen.screen("I would never hurt myself").emergency is None
    assert screen.screen("no hope left and nothing helps and i want to die").emergency == "crisis"


def test_ketamine_s_use_for_a_crisis_is_not_a_crisis(screen: SafetyScreen) -> None:
    assert screen.screen("I read ketamine is used for suicidal thoughts").emergency is None
    assert screen.screen("can ketamine help my suicidal thoughts").emergency == "crisis"


def test_violence_is_caught_and_a_red_flag_outranks_it(screen: SafetyScreen) -> None:
    assert screen.screen("my husband hit me again").emergency == "violence"
    assert screen.screen("it hit me how bad my back is").emergency is None
    both = screen.screen("my boyfriend pushed me and now I can't feel my legs")
    assert both.emergency == "red_flag"


STORY = (
    "My lower back has hurt since a lifting injury in 2016, two discs, PT twice, "
    "three epidurals and an ablation that helped for a few months. Insurance denied "
    "the MRI twice and the copays keep going up. "
)


@pytest.mark.parametrize(
    ("buried", "category"),
    [
        ("Some nights I think everyone would be better off without me.", "crisis"),
        ("My husband shoves me around when he drinks.", "violence"),
        ("Since Tuesday I can't feel anything when I wipe.", "red_flag"),
    ],
)
def test_an_emergency_buried_in_a_long_message_still_counts(
    screen: SafetyScreen, buried: str, category: str
) -> None:
    text = STORY * 5 + buried + " " + STORY * 4
    assert 1800 < len(text) <= 2000
    assert screen.screen(text).emergency == category


def test_topic_questions_rarely_raise_safety_signals(screen: SafetyScreen) -> None:
    examples = nlu_examples(TEST_DATA / "nlu_holdout.yml")
    alarms = [text for _, text in examples if screen.screen(text).is_safety_signal]
    assert len(alarms) / len(examples) <= MAX_TOPIC_FALSE_ALARMS, alarms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have schizophrenia", ("psychosis",)),
        ("I don't have heart problems", ()),
        ("no history of psychosis", ()),
        ("can people with PTSD have it?", ()),
        ("does ketamine cause liver damage?", ()),
        ("my wife has hep C", ("liver",)),
        ("I have afib and I'm pregnant", ("cardiovascular", "pregnancy")),
        ("I have ocular hypertension", ("eye_pressure",)),
        ("I'm being treated for PTSD", ("ptsd",)),
        ("I read that ketamine treats PTSD", ()),
    ],
)
def test_who_a_condition_belongs_to(screen: SafetyScreen, text: str, expected: tuple) -> None:
    assert screen.screen(text).conditions == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have schizofrenia", ("psychosis",)),  # a near miss of the phrase's first word
        ("my doctor says I have glacoma", ("eye_pressure",)),
        ("I was diagnosed with ptsd", ("ptsd",)),
    ],
)
def test_near_misses_of_a_first_word_are_still_found(
    screen: SafetyScreen, text: str, expected: tuple
) -> None:
    # The screen skips patterns whose first words match no token: a near
    # miss must still count as a match there, or the disclosure is lost.
    assert screen.screen(text).conditions == expected


@pytest.mark.parametrize(
    ("pattern", "word", "matches"),
    [
        ("schizophrenia", "schizofrenia", True),  # a typo
        ("stroke", "strokes", True),  # an inflection
        ("raping", "racing", False),  # another English word
        ("abilify", "ability", False),
        ("overdose", "overdone", False),
    ],
)
def test_a_near_miss_is_a_typo_unless_it_is_another_english_word(
    pattern: str, word: str, matches: bool
) -> None:
    assert words_match(pattern, word) is matches


def test_real_words_are_current_for_the_lexicon() -> None:
    dictionaries = (find_near_misses.DICTIONARY, find_near_misses.SPANISH_DICTIONARY)
    if not all(path.exists() for path in dictionaries):
        pytest.skip(
            "Debian's wamerican or wspanish is missing (make system-packages installs them)"
        )
    assert set(find_near_misses.real_words()) == REAL_WORDS


def test_prefix_phrases_are_found(screen: SafetyScreen) -> None:
    assert screen.screen("I keep having suicidal thoughts").emergency == "crisis"


def test_negation_does_not_cross_a_clause(screen: SafetyScreen) -> None:
    assert screen.screen("I'm not suicidal, but sometimes I want to die").emergency == "crisis"


def test_old_fall_is_history_not_an_emergency(screen: SafetyScreen) -> None:
    assert screen.screen("I hurt my back in a car accident years ago").emergency is None
    assert screen.screen("I fell off a ladder today and my back is bad").emergency == "red_flag"


def test_contractions_and_abbreviations_are_normalised() -> None:
    assert normalise("I can't; p.t.s.d.") == "i can not; ptsd"


def write_lexicon(tmp_path: Path, change: tuple[str, str]) -> Path:
    source = (PROJECT_ROOT / "core" / "safety" / "lexicon.yml").read_text()
    assert change[0] in source
    path = tmp_path / "lexicon.yml"
    path.write_text(source.replace(change[0], change[1], 1))
    return path


def test_unquoted_yaml_boolean_is_refused(tmp_path: Path) -> None:
    path = write_lexicon(tmp_path, ('negations: ["no",', "negations: [no,"))
    with pytest.raises(LexiconError, match=r"negations.*quote it"):
        Lexicon.load(path)


def test_phrase_without_words_is_refused(tmp_path: Path) -> None:
    path = write_lexicon(tmp_path, ('negations: ["no",', 'negations: ["?!", "no",'))
    with pytest.raises(LexiconError, match=r"negations.*no words"):
        Lexicon.load(path)


def test_missing_category_is_refused(tmp_path: Path) -> None:
    path = write_lexicon(tmp_path, ("  thyroid:\n", "  thyroids:\n"))
    with pytest.raises(LexiconError, match="conditions"):
        Lexicon.load(path)


def test_a_head_injury_long_healed_is_not_a_disclosure(screen: SafetyScreen) -> None:
    assert screen.screen("I had a concussion last month").conditions == ("intracranial_pressure",)
    old = "I got a concussion playing football in high school, nothing since"
    assert screen.screen(old).conditions == ()


def test_an_any_entry_needs_a_list_of_phrases(tmp_path: Path) -> None:
    lexicon = read_yaml(DEFAULT_LEXICON)
    lexicon["conditions"]["liver"].append({"any": "hepatitis", "unless": ["ago"]})
    path = tmp_path / "lexicon.yml"
    path.write_text(yaml.safe_dump(lexicon))
    with pytest.raises(LexiconError, match=r"conditions\.liver"):
        Lexicon.load(path)


def test_violence_beside_a_more_urgent_emergency_is_kept(screen: SafetyScreen) -> None:
    both = screen.screen("my boyfriend pushed me down the stairs and now I can't feel my legs")
    assert (both.emergency, both.other_emergencies) == ("red_flag", ("violence",))
    assert screen.screen("my husband hit me again").other_emergencies == ()


# The Spanish safety tuning sets, at the screen alone: the lexicon was tuned
# on them (issue 15), so losing an entry they needed shows here. Caught
# emergencies and disclosures, and false alarms, as measured on 2026-12-02
# (after that session's rules and lay words: a later session).
SPANISH_TUNING_AT_THE_SCREEN = {
    "safety_es.yml": (145, 76, 2),
    "safety_es_2.yml": (153, 60, 4),
    "safety_es_3.yml": (97, 50, 2),
}


@pytest.mark.parametrize("name", sorted(SPANISH_TUNING_AT_THE_SCREEN))
def test_the_screen_keeps_what_the_spanish_tuning_sets_taught_it(name: str) -> None:
    screen = default_screen()
    emergencies = disclosures = false_alarms = 0
    for case in load_cases(TEST_DATA / "tuning" / name):
        found = screen.screen(case.text)
        if case.kind == "emergency":
            emergencies += found.emergency is not None
        elif case.kind == "handoff":
            disclosures += bool(found.conditions) or found.emergency is not None
        else:
            false_alarms += found.emergency is not None or bool(found.conditions)
    least_emergencies, least_disclosures, most_false_alarms = SPANISH_TUNING_AT_THE_SCREEN[name]
    assert emergencies >= least_emergencies and disclosures >= least_disclosures
    assert false_alarms <= most_false_alarms


# The Spanish lexicon's lay words for conditions (2026-12-02, a later
# session) were drawn from the disclosures independent writers wrote as
# training examples; many entries are variants no safety_set_es case holds
# alone. Disclosures the screen names there, as measured then: losing an
# entry one of them needed shows here.
SPANISH_DISCLOSURES_AT_THE_SCREEN = {"nlu_safety_es_2.yml": 378, "nlu_safety_es_3.yml": 287}


@pytest.mark.parametrize("name", sorted(SPANISH_DISCLOSURES_AT_THE_SCREEN))
def test_the_screen_names_the_spanish_writers_disclosures(name: str) -> None:
    screen = default_screen()
    examples = nlu_examples(PROJECT_ROOT / "data" / name)
    texts = [text for intent, text in examples if intent == "disclose_condition"]
    named = sum(bool(screen.screen(text).conditions) for text in texts)
    assert named >= SPANISH_DISCLOSURES_AT_THE_SCREEN[name], f"{named} of {len(texts)}"
