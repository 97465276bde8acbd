"""One topic list: the catalogue, the content, the intents, the rules and the tests agree."""

from __future__ import annotations

import re
from collections import Counter

from core.content_store import Content
from core.safety.categories import EMERGENCY_INTENTS
from core.settings import PROJECT_ROOT
from tests.conftest import TEST_DATA, read_yaml
from tools import topics
from tools.evaluate_cases import load_cases
from tools.evaluate_holdout import nlu_examples, training_examples

DOMAIN = read_yaml(PROJECT_ROOT / "domain.yml")
RULES = [
    rule
    for name in ("rules.yml", "topic_rules.yml")
    for rule in read_yaml(PROJECT_ROOT / "data" / name)["rules"]
]
STORIES = read_yaml(PROJECT_ROOT / "data" / "stories.yml")["stories"]
# Every NLU file under data/ (data/nlu.yml, data/nlu_safety.yml, data/topics/).
TRAINING = training_examples()
HOLDOUT = nlu_examples(TEST_DATA / "nlu_holdout.yml")
TEST_STORIES = read_yaml(PROJECT_ROOT / "tests" / "test_stories.yml")["stories"]
CONVERSATION_INTENTS = {"greet", "goodbye", "thank", "bot_challenge", "out_of_scope", "ask_more"}
SAFETY_INTENTS = {"request_human", "disclose_condition", *EMERGENCY_INTENTS.values()}
FORM_INTENTS = {"affirm", "deny", "stop"}
# "Did this help?" and "delete my conversation" (data/nlu_patient_controls.yml).
PATIENT_CONTROL_INTENTS = {"answer_helped", "answer_not_helped", "forget_conversation"}
MIN_TRAINING_EXAMPLES = 30
MIN_HOLDOUT_EXAMPLES = 4


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def topic_ids(catalogue: list[dict]) -> set[str]:
    return {topic["id"] for topic in catalogue}


def test_every_catalogued_topic_has_its_three_files(topics_catalogue: list[dict]) -> None:
    missing = topics.problems(topics_catalogue)
    assert not missing, "\n".join(missing)


def test_generated_topic_parts_are_up_to_date(topics_catalogue: list[dict]) -> None:
    stale = topics.stale_files(topics_catalogue)
    assert not stale, f"stale generated topic parts in {stale}: run `make topics`"


def test_content_has_exactly_one_entry_per_catalogued_topic(
    topics_catalogue: list[dict], content: Content
) -> None:
    ids = [topic["id"] for topic in topics_catalogue]
    assert len(ids) == len(set(ids))
    assert set(content.answers) == set(ids)


def test_clinic_flags_match_the_catalogue(topics_catalogue: list[dict], content: Content) -> None:
    for topic in topics_catalogue:
        assert content.answers[topic["id"]].clinic == topic.get("clinic", False), topic["id"]


def test_answers_cite_the_sources_the_catalogue_names(
    topics_catalogue: list[dict], content: Content
) -> None:
    for topic in topics_catalogue:
        cited = {s.id for s in content.answers[topic["id"]].sources}
        for seed in {"seed-000", "seed-001"} & set(topic["sources"]):
            assert seed in cited, f"{topic['id']} should cite {seed}"


def test_domain_intents_are_the_topics_plus_conversation_turns(
    topics_catalogue: list[dict],
) -> None:
    assert (
        set(DOMAIN["intents"])
        == topic_ids(topics_catalogue)
        | CONVERSATION_INTENTS
        | SAFETY_INTENTS
        | FORM_INTENTS
        | PATIENT_CONTROL_INTENTS
    )


def test_every_intent_has_varied_training_examples() -> None:
    counts = Counter(intent for intent, _ in TRAINING)
    assert set(counts) == set(DOMAIN["intents"])
    thin = {intent: n for intent, n in counts.items() if n < MIN_TRAINING_EXAMPLES}
    assert not thin, f"too few training examples: {thin}"


def test_each_topic_has_exactly_one_rule_answering_it(topics_catalogue: list[dict]) -> None:
    answering = Counter()
    for rule in RULES:
        steps = rule["steps"]
        if any(step.get("action") == "action_answer_topic" for step in steps):
            answering.update(step["intent"] for step in steps if "intent" in step)
    assert answering == Counter(topic_ids(topics_catalogue))


def test_every_conversation_turn_has_a_rule() -> None:
    ruled = {step["intent"] for rule in RULES for step in rule["steps"] if "intent" in step}
    assert (
        CONVERSATION_INTENTS | SAFETY_INTENTS | PATIENT_CONTROL_INTENTS | {"nlu_fallback"} <= ruled
    )


def test_stories_only_use_known_intents_and_actions() -> None:
    responses = set(DOMAIN["responses"])
    actions = set(DOMAIN["actions"]) | set(DOMAIN["forms"]) | {"action_deactivate_loop"}
    for story in STORIES + TEST_STORIES:
        for step in story["steps"]:
            if "intent" in step:
                assert step["intent"] in set(DOMAIN["intents"]) | {"nlu_fallback"}
            if "action" in step:
                assert step["action"] in responses | actions, step["action"]


def test_every_topic_and_turn_has_an_end_to_end_story(topics_catalogue: list[dict]) -> None:
    tested = {
        step["intent"] for story in TEST_STORIES for step in story["steps"] if "intent" in step
    }
    expected = (
        topic_ids(topics_catalogue)
        | CONVERSATION_INTENTS
        | SAFETY_INTENTS
        | FORM_INTENTS
        | PATIENT_CONTROL_INTENTS
    )
    assert expected | {"nlu_fallback"} <= tested


def test_holdout_covers_every_topic_and_out_of_scope(topics_catalogue: list[dict]) -> None:
    counts = Counter(intent for intent, _ in HOLDOUT)
    for topic in topic_ids(topics_catalogue):
        assert counts[topic] >= MIN_HOLDOUT_EXAMPLES, topic
    assert counts["out_of_scope"] >= 30


def test_blind_and_tuning_sets_were_never_used_for_training() -> None:
    trained = {normalise(text) for _, text in TRAINING}
    # A conversation's turns are exempt: its first turn only sets the context
    # ("do you take insurance"), and "tell me more" is the phrase itself; what
    # a conversation measures is whether each turn is read in that context.
    held_out = [case.text for case in load_cases(*sorted(TEST_DATA.glob("*/*.yml")))]
    assert len(held_out) > 1000, "the blind and tuning sets are missing"
    leaked = [text for text in held_out if normalise(text) in trained]
    assert not leaked, f"held-out messages found in training data: {leaked}"


def test_holdout_was_never_used_for_training() -> None:
    trained = {normalise(text) for _, text in TRAINING}
    held_out = HOLDOUT + nlu_examples(TEST_DATA / "nlu_holdout_es.yml")
    leaked = [text for _, text in held_out if normalise(text) in trained]
    assert not leaked, f"held-out messages found in training data: {leaked}"


def test_channel_emergency_replies_match_the_rules() -> None:
    from rasa_server.rest_channel import EMERGENCY_RESPONSES

    for intent, responses in EMERGENCY_RESPONSES.items():
        [rule] = [
            r for r in RULES if r["steps"][0].get("intent") == intent and "condition" not in r
        ]
        assert tuple(step["action"] for step in rule["steps"][1:]) == responses
