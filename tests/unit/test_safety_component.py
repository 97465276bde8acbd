"""The safety screen inside the Rasa pipeline: what it writes on a message."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from rasa_server.safety_component import SafetyScreenComponent


def screened(text: str, ranking: list[dict] | None = None) -> Message:
    message = Message({"text": text})
    message.set("intent_ranking", ranking or [{"name": "cost", "confidence": 0.9}])
    SafetyScreenComponent({}).process([message])
    return message


def test_a_disclosed_condition_becomes_an_entity_spanning_the_message() -> None:
    text = "I have schizophrenia, can I still get ketamine?"
    message = screened(text)
    assert message.get("intent")["name"] == "disclose_condition"
    (entity,) = message.get("entities")
    # Rasa's evaluation (rasa test nlu) and tracker consumers need start and end.
    assert (entity["entity"], entity["start"], entity["end"]) == ("condition", 0, len(text))
    assert entity["value"] == "psychosis"


def test_a_plain_question_keeps_the_models_intent_and_no_entities() -> None:
    message = screened("how much does it cost?")
    assert message.get("intent") is None
    assert not message.get("entities")


def test_violence_beside_a_red_flag_is_passed_on_for_the_hotlines() -> None:
    message = screened("my boyfriend pushed me down the stairs and now I can't feel my legs")
    assert message.get("intent")["name"] == "emergency_red_flag"
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("emergency_also", "violence")
    ]


def test_violence_the_screen_found_stays_when_the_model_s_crisis_outranks_it() -> None:
    crisis = [{"name": "emergency_crisis", "confidence": 0.7}, {"name": "cost", "confidence": 0.1}]
    # The screen finds only the violence; the model reads the rest as a crisis.
    message = screened("my husband beats me and I am so tired of everything", crisis)
    assert message.get("intent")["name"] == "emergency_crisis"
    assert ("emergency_also", "violence") in [
        (e["entity"], e["value"]) for e in message.get("entities")
    ]
