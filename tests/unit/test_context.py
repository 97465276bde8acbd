"""Two-part questions and follow-ups: the rules (core/context.py) and the NLU components."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from core import context
from rasa_server.context_components import ContextReader, QuestionReader, last_answered_topic

TOPICS = {
    "cost",
    "insurance",
    "side_effects",
    "relief_duration",
    "driving_aftercare",
    "back_pain_causes",
}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("how much is it and does insurance pay?", ["how much is it", "does insurance pay"]),
        (
            "What does it cost? Is it covered by my plan?",
            ["What does it cost", "Is it covered by my plan"],
        ),
        (
            "how much does it cost, also what are the side effects",
            ["how much does it cost", "what are the side effects"],
        ),
        (
            "i was wondering how long it lasts plus can i drive after",
            ["i was wondering how long it lasts", "can i drive after"],
        ),
        (
            "my husband wants to know how long each session is and if he can drive after",
            ["my husband wants to know how long each session is", "if he can drive after"],
        ),
        ("is it addictive n is it fda approved", ["is it addictive", "is it fda approved"]),
        ("cost? insurance?", ["cost", "insurance"]),
        # A piece that starts as a question asks, whatever its sentence starts with.
        (
            "my back is stiff in the morning, are those typical symptoms and what causes that",
            ["are those typical symptoms", "what causes that"],
        ),
    ],
)
def test_a_message_with_several_questions_is_read_question_by_question(
    text: str, parts: list[str]
) -> None:
    assert context.question_parts(text) == [context.Part(part) for part in parts]


@pytest.mark.parametrize(
    "text",
    [
        "how much does it cost?",
        "side effects and risks?",  # fragments, not questions
        "/cost",
        # A long story before the one question is not read piece by piece.
        "I hurt my back at work. Then I had surgery. It did not help. My wife found you. "
        "What are the side effects?",
    ],
)
def test_a_message_with_one_question_is_read_whole(text: str) -> None:
    assert context.question_parts(text) == []


@pytest.mark.parametrize(
    ("text", "questions"),
    [
        (
            "my mom is 68 and has had back pain for 10 yrs. is she a candidate and does "
            "medicare cover it",
            ["is she a candidate", "does medicare cover it"],
        ),
        (
            "my sister is tired all the time and can barely work, what causes that and "
            "how much is it",
            ["what causes that", "how much is it"],
        ),
        # An auxiliary before its subject still asks, a gerund subject included.
        (
            "my back hurts and is it normal, and is driving allowed after",
            ["is it normal", "is driving allowed after"],
        ),
    ],
)
def test_a_statement_going_on_after_and_asks_nothing(text: str, questions: list[str]) -> None:
    parts = context.question_parts(text)
    assert [part.text for part in parts if part.asks] == questions


def test_a_short_message_with_one_question_gives_its_statements_as_non_questions() -> None:
    text = "I've had back pain for years and my doctor said to try it. What are the side effects?"
    assert context.question_parts(text) == [
        context.Part("I've had back pain for years", asks=False),
        context.Part("my doctor said to try it", asks=False),
        context.Part("What are the side effects"),
    ]


@pytest.mark.parametrize(
    "text",
    ["are they permanent?", "what about Cigna", "how much is that", "and after?", "why is that"],
)
def test_short_messages_that_refer_back_lean_on_context(text: str) -> None:
    assert context.leans_on_context(text)


@pytest.mark.parametrize(
    "text",
    [
        "how much does ketamine cost",
        "My husband drove me to my last visit and wants to know if that is the case each time",
    ],
)
def test_questions_that_stand_alone_do_not(text: str) -> None:
    assert not context.leans_on_context(text)


def decide(whole, parts=(), contextual=None, text="", last=None):
    return context.decide(whole, list(parts), contextual, text, last, TOPICS)


def test_two_confident_parts_are_both_answered_in_order() -> None:
    reading = decide(
        [("nlu_fallback", 0.6), ("cost", 0.4), ("insurance", 0.35)],
        parts=[[("cost", 0.9)], [("insurance", 0.8)], [("cost", 0.7)]],
    )
    assert reading == context.Reading(("cost", "insurance"), "parts")


def test_an_aside_before_the_one_question_the_whole_message_asks_is_not_answered() -> None:
    whole = [("relief_duration", 0.92), ("side_effects", 0.05), ("cost", 0.03)]
    parts = [[("side_effects", 0.6)], [("relief_duration", 0.9)]]
    assert decide(whole, parts=parts) is None
    unsure = [("relief_duration", 0.5), ("side_effects", 0.3)]
    assert decide(unsure, parts=parts) == context.Reading(
        ("side_effects", "relief_duration"), "parts"
    )


def test_a_part_the_whole_message_does_not_support_is_not_answered() -> None:
    """An aside in a story ("isn't my back just old?") reads like a question of its own."""
    whole = [("cost", 0.6), ("insurance", 0.2), ("side_effects", 0.1), ("relief_duration", 0.05)]
    parts = [[("back_pain_causes", 0.65)], [("cost", 0.9)]]
    assert decide(whole, parts=parts) is None
    assert decide([("cost", 0.9)], parts=[[("cost", 0.9)], [("insurance", 0.1)]]) is None


def test_a_part_whose_topic_the_whole_message_barely_gives_a_share_is_not_answered() -> None:
    """Among the whole reading's first few topics, one with under 2% is an echo of a story."""
    parts = [[("side_effects", 0.6)], [("relief_duration", 0.9)]]
    echo = [("relief_duration", 0.7), ("cost", 0.1), ("side_effects", 0.01)]
    assert decide(echo, parts=parts) is None
    asked = [("relief_duration", 0.7), ("cost", 0.1), ("side_effects", 0.05)]
    assert decide(asked, parts=parts) == context.Reading(
        ("side_effects", "relief_duration"), "parts"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("whats ketamine, is it addictive, and what are the side effects", True),
        ("does it work, how fast, and how long does it last", True),
        # A statement that only shares its sentence's question mark.
        ("I'm really tired the day after an infusion, is that normal?", False),
        ("my old car died so I'll need a ride, can my son drop me off and pick me up?", False),
        ("how much is it", False),  # one question
        (
            "what is ketamine exactly and is it addictive for people like me who had a bad "
            "time with pills and what are the side effects",
            False,  # too long to be sure no story hides in it
        ),
    ],
)
def test_only_questions(text: str, expected: bool) -> None:
    assert context.only_questions(text) is expected


def test_questions_alone_need_no_share_of_the_whole_reading() -> None:
    """A short first question of three gets under 2% of the whole message's reading."""
    whole = [("relief_duration", 0.7), ("cost", 0.1), ("side_effects", 0.01)]
    parts = [[("side_effects", 0.6)], [("relief_duration", 0.9)]]
    questions = "what are the side effects, and how long does it last"
    assert context.decide(whole, parts, None, questions, None, TOPICS) == context.Reading(
        ("side_effects", "relief_duration"), "parts"
    )
    story = "My wife had side effects from pills, she wants to know how long it lasts"
    assert context.decide(whole, parts, None, story, None, TOPICS) is None
    unranked = [("relief_duration", 0.7), ("cost", 0.1)]
    assert context.decide(unranked, parts, None, questions, None, TOPICS) is None


def test_a_question_the_model_is_sure_of_needs_no_support_from_the_whole_message() -> None:
    """A long story can drown a clear question in the whole message's reading."""
    whole = [("cost", 0.5), ("side_effects", 0.3), ("insurance", 0.1), ("relief_duration", 0.05)]
    sure = [[("driving_aftercare", 0.75)], [("cost", 0.8)]]
    assert decide(whole, parts=sure) == context.Reading(("driving_aftercare", "cost"), "parts")
    unsure = [[("driving_aftercare", 0.6)], [("cost", 0.8)]]
    assert decide(whole, parts=unsure) is None


def test_a_whole_reading_sure_of_the_second_question_does_not_overrule_a_sure_first() -> None:
    """ "can i eat before? and does it interact with antidepressants": both are questions."""
    whole = [("cost", 0.92), ("insurance", 0.05), ("side_effects", 0.03)]
    assert decide(whole, parts=[[("side_effects", 0.85)], [("cost", 0.9)]]) == context.Reading(
        ("side_effects", "cost"), "parts"
    )
    # An unsure first part is still an aside before the one question.
    assert decide(whole, parts=[[("side_effects", 0.5)], [("cost", 0.9)]]) is None


def test_a_statement_counts_only_when_the_model_is_sure_and_the_whole_supports_it() -> None:
    """ "im nervous about my first one, what should i bring": a topic asked without a question."""
    whole = [("side_effects", 0.5), ("cost", 0.3), ("insurance", 0.1)]
    asks = [False, True]

    def read(statement: list[tuple[str, float]]) -> context.Reading | None:
        parts = [statement, [("cost", 0.9)]]
        return context.decide(whole, parts, None, "", None, TOPICS, part_asks=asks)

    assert read([("side_effects", 0.85)]) == context.Reading(("side_effects", "cost"), "parts")
    assert read([("side_effects", 0.75)]) is None  # a question would count; a statement not
    assert read([("driving_aftercare", 0.95)]) is None  # not in the whole message's reading


def test_safety_wins_over_parts_and_context() -> None:
    for intent in ("emergency_crisis", "disclose_condition", "emergency_red_flag"):
        whole = [(intent, 1.0), ("cost", 0.1)]
        assert decide(whole, parts=[[("cost", 0.9)], [("insurance", 0.9)]]) is None
        assert decide(whole, contextual=[("cost", 0.9)], text="and that?", last="cost") is None
        assert context.decide(whole, [], None, STORY, None, TOPICS, lone=[("cost", 0.9)]) is None


STORY = (
    "my friend paid like 600 a session in florida, thats insane. she said it helped. "
    "how much do you charge"
)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        (STORY, "how much do you charge"),
        (
            "does it actually work? my friend swears by it. shes into crystals",
            "does it actually work?",
        ),
        ("how much is it", None),  # one sentence: the question is the message
        ("how much is it? and does insurance pay?", None),  # two questions
        ("my back hurts. my knees too.", None),  # no question
    ],
)
def test_lone_question(text: str, question: str | None) -> None:
    assert context.lone_question(text) == question


def test_the_one_question_of_a_story_is_answered_when_the_model_is_sure_of_it() -> None:
    """A story's words can leave the whole message to the fallback or out-of-scope."""
    for intent in ("out_of_scope", "nlu_fallback"):
        whole = [(intent, 0.5), ("cost", 0.2)]
        sure = [("cost", 0.85), ("insurance", 0.05)]
        reading = context.decide(whole, [], None, STORY, None, TOPICS, lone=sure)
        assert reading == context.Reading(("cost",), "question")
        unsure = [("cost", 0.7), ("insurance", 0.2)]
        assert context.decide(whole, [], None, STORY, None, TOPICS, lone=unsure) is None
    # A whole reading of a topic, or of smalltalk, stands.
    for whole in ([("insurance", 0.6)], [("thank", 0.9)]):
        assert context.decide(whole, [], None, STORY, None, TOPICS, lone=sure) is None


def test_a_follow_up_is_read_in_the_light_of_the_last_topic() -> None:
    reading = decide(
        [("nlu_fallback", 0.5), ("relief_duration", 0.3)],
        contextual=[("side_effects", 0.4), ("relief_duration", 0.5)],
        text="are they permanent?",
        last="side_effects",
    )
    assert reading == context.Reading(("side_effects",), "follow_up")


def test_a_follow_up_may_move_to_another_topic() -> None:
    reading = decide(
        [("cost", 0.6)],
        contextual=[("cost", 0.8), ("relief_duration", 0.1)],
        text="how much is that?",
        last="relief_duration",
    )
    assert reading == context.Reading(("cost",), "follow_up")


def test_a_new_question_is_answered_as_one() -> None:
    reading = decide(
        [("driving_aftercare", 0.9)],
        contextual=[("cost", 0.5), ("driving_aftercare", 0.45)],
        text="can I drive after it?",
        last="cost",
    )
    assert reading == context.Reading(("driving_aftercare",), "follow_up")


def test_a_follow_up_that_asks_no_topic_is_read_on_its_own() -> None:
    whole = [("out_of_scope", 0.8)]
    contextual = [("out_of_scope", 0.6), ("cost", 0.2)]
    assert decide(whole, contextual=contextual, text="what about my dog", last="cost") is None


def test_why_alone_is_more_of_the_last_answer_whatever_the_model_says() -> None:
    reading = decide([("why_for_back_pain", 0.9)], text="why?", last="driving_aftercare")
    assert reading == context.Reading(("driving_aftercare",), "more")
    assert decide([("why_for_back_pain", 0.9)], text="why?") is None


def test_tell_me_more_is_more_of_the_last_answer_and_nothing_without_one() -> None:
    assert decide([("ask_more", 0.9)], last="side_effects") == context.Reading(
        ("side_effects",), "more"
    )
    assert decide([("ask_more", 0.9)]) is None


def test_without_a_last_answer_nothing_is_read_in_context() -> None:
    assert decide([("nlu_fallback", 0.5)], text="are they permanent?") is None


# --- the components -----------------------------------------------------------


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c-1", list(events))


ANSWERED_COST = (
    UserUttered("how much is it", {"name": "cost", "confidence": 0.9}),
    ActionExecuted("action_answer_topic"),
    SlotSet("last_topic", "cost"),
    ActionExecuted("action_listen"),
)


def test_the_last_topic_counts_only_right_after_its_answer() -> None:
    assert last_answered_topic(tracker(*ANSWERED_COST)) == "cost"
    after_smalltalk = (
        *ANSWERED_COST,
        ActionExecuted("utter_thank"),
        ActionExecuted("action_listen"),
    )
    assert last_answered_topic(tracker(*after_smalltalk)) is None
    assert last_answered_topic(tracker()) is None
    assert last_answered_topic(None) is None


def fake_classify(messages: list[Message], readings: dict[str, list[tuple[str, float]]]) -> None:
    """What the tokenizer, featurizers and classifiers do in between, for these texts."""
    for message in messages:
        ranking = readings[message.get("text")]
        message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
        message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])


def test_the_components_read_each_question_and_drop_what_they_added() -> None:
    text = "how much is it and does insurance pay?"
    patient = Message(data={"text": text})
    messages = QuestionReader().process([patient], tracker())
    assert [m.get("text") for m in messages] == [text, "how much is it", "does insurance pay"]
    fake_classify(
        messages,
        {
            text: [("cost", 0.5), ("insurance", 0.45)],
            "how much is it": [("cost", 0.95)],
            "does insurance pay": [("insurance", 0.9)],
        },
    )
    [out] = ContextReader().process(messages)
    assert out is patient
    parsed = out.as_dict(only_output_properties=True)
    assert parsed["intent"]["name"] == "cost"
    assert parsed["reading"] == {"topics": ["cost", "insurance"], "how": "parts"}
    assert "context_added_messages" not in out.data


def test_the_components_read_a_follow_up_with_the_last_answers_title(content) -> None:
    patient = Message(data={"text": "are they permanent"})
    messages = QuestionReader().process([patient], tracker(*ANSWERED_COST))
    title = content.answers["cost"].title
    assert [m.get("text") for m in messages] == [
        "are they permanent",
        f"{title}: are they permanent",
    ]
    fake_classify(
        messages,
        {
            "are they permanent": [("nlu_fallback", 0.4), ("side_effects", 0.3)],
            f"{title}: are they permanent": [("cost", 0.6), ("side_effects", 0.3)],
        },
    )
    [out] = ContextReader().process(messages)
    assert out.as_dict(only_output_properties=True)["reading"] == {
        "topics": ["cost"],
        "how": "follow_up",
    }


def test_the_components_read_the_one_question_of_a_story() -> None:
    patient = Message(data={"text": STORY})
    messages = QuestionReader().process([patient], tracker())
    question = "how much do you charge"
    texts = [m.get("text") for m in messages]
    assert (texts[0], texts[-1]) == (STORY, question)
    assert texts.count(question) == 1  # the part that is the question is read once
    readings = {m.get("text"): [("out_of_scope", 0.7)] for m in messages}
    readings[STORY] = [("out_of_scope", 0.6), ("cost", 0.3)]
    readings[question] = [("cost", 0.9)]
    fake_classify(messages, readings)
    [out] = ContextReader().process(messages)
    assert out is patient
    parsed = out.as_dict(only_output_properties=True)
    assert parsed["intent"]["name"] == "cost"
    assert parsed["reading"] == {"topics": ["cost"], "how": "question"}


def test_the_components_leave_a_button_payload_alone() -> None:
    patient = Message(data={"text": "/insurance"})
    assert QuestionReader().process([patient], tracker(*ANSWERED_COST)) == [patient]
    assert ContextReader().process([patient]) == [patient]
    assert "reading" not in patient.as_dict(only_output_properties=True)


# --- Spanish ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("cuanto cuesta y lo cubre la aseguranza", ["cuanto cuesta", "lo cubre la aseguranza"]),
        (
            "¿Cuánto dura cada sesión? ¿Puedo manejar después?",
            ["Cuánto dura cada sesión", "Puedo manejar después"],
        ),
        (
            "q efectos secundarios tiene, cuantas sesiones necesito",
            ["q efectos secundarios tiene", "cuantas sesiones necesito"],
        ),
        (
            "quisiera saber cuanto cuesta y tambien si aceptan medicare",
            ["quisiera saber cuanto cuesta", "si aceptan medicare"],
        ),
        # "y'all" is English: its "y" joins nothing.
        (
            "do y'all take insurance and how much is it",
            ["do y'all take insurance", "how much is it"],
        ),
    ],
)
def test_a_spanish_message_with_several_questions_is_read_question_by_question(
    text: str, parts: list[str]
) -> None:
    assert context.question_parts(text) == [context.Part(part) for part in parts]


@pytest.mark.parametrize("text", ["cuanto cuesta el tratamiento?", "dolor de espalda y piernas?"])
def test_a_spanish_message_with_one_question_is_read_whole(text: str) -> None:
    assert context.question_parts(text) == []


@pytest.mark.parametrize(
    "text", ["y duran mucho?", "y con Cigna?", "eso es normal?", "pero cuanto cuesta eso"]
)
def test_short_spanish_messages_that_refer_back_lean_on_context(text: str) -> None:
    assert context.leans_on_context(text)


@pytest.mark.parametrize(
    "text", ["cuentame mas", "Cuéntame más", "mas info porfa", "por qué?", "xq", "explicame mejor"]
)
def test_spanish_tell_me_more_asks_more_of_the_last_answer(text: str) -> None:
    assert context.MORE_ONLY.match(text)


def test_a_spanish_follow_up_is_read_with_the_title_in_spanish(content) -> None:
    patient = Message(data={"text": "y duran mucho?"})
    spanish = tracker(SlotSet("language", "es"), *ANSWERED_COST)
    messages = QuestionReader().process([patient], spanish)
    assert messages[1].get("text") == f"{content.title('cost', 'es')}: y duran mucho?"
    assert content.title("cost", "es") != content.title("cost")
