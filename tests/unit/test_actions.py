"""The actions, run on real rasa-sdk Tracker objects."""

from __future__ import annotations

from actions.answers import ActionAnswerTopic, ActionClarify, ActionFallback
from core.content_store import Content
from tests.unit.patient_turns import customs, patient_turn, run, without_rating_prompts


async def test_topic_question_gets_the_curated_answer_with_sources(content: Content) -> None:
    messages, events = await run(
        ActionAnswerTopic(), patient_turn("is it addictive?", "addiction_risk")
    )
    texts = [m["text"] for m in messages if m.get("text") and not m.get("buttons")]
    assert texts == list(content.render("addiction_risk").messages)
    [item] = customs(messages)
    assert item["kind"] == "answer" and item["topic"] == "addiction_risk"
    seed, guideline = content.sources["seed-000"], content.sources["cohen-2018"]
    assert {"id": seed.id, "title": seed.title, "url": None} in item["sources"]
    assert {"id": guideline.id, "title": guideline.title, "url": guideline.url} in item["sources"]
    assert guideline.url == "https://doi.org/10.1097/AAP.0000000000000808"
    assert item["reviewed"] == "2026-11-21"
    assert events == [
        {"event": "slot", "timestamp": None, "name": "last_topic", "value": "addiction_risk"}
    ]


async def test_clinic_answer_reaches_patient_with_profile_filled(content: Content) -> None:
    messages, _ = await run(ActionAnswerTopic(), patient_turn("how do I book", "booking"))
    text = " ".join(m["text"] for m in messages if m.get("text"))
    assert content.clinic.booking_url in text and "{" not in text


async def test_unknown_intent_falls_back_instead_of_staying_silent() -> None:
    messages, _ = await run(ActionAnswerTopic(), patient_turn("hmm", "greet"))
    assert customs(messages) == [{"kind": "fallback", "language": "en"}]
    assert any("call" in m.get("text", "") for m in messages)


async def test_clarify_offers_close_topics_as_buttons(content: Content) -> None:
    ranking = [("nlu_fallback", 0.5), ("cost", 0.44), ("insurance", 0.4), ("greet", 0.01)]
    messages, _ = await run(
        ActionClarify(), patient_turn("is it covered price", "nlu_fallback", ranking=ranking)
    )
    [item] = customs(messages)
    assert item == {"kind": "clarify", "options": ["cost", "insurance"], "language": "en"}
    [with_buttons] = [m for m in messages if m.get("buttons")]
    assert with_buttons["buttons"] == [
        {"title": content.answers["cost"].title, "payload": "/cost"},
        {"title": content.answers["insurance"].title, "payload": "/insurance"},
    ]


async def test_clarify_without_likely_topics_falls_back() -> None:
    ranking = [("nlu_fallback", 0.5), ("out_of_scope", 0.3), ("cost", 0.2)]
    messages, _ = await run(ActionClarify(), patient_turn("blorp", "nlu_fallback", ranking=ranking))
    assert customs(messages) == [{"kind": "fallback", "language": "en"}]


async def test_fallback_says_what_it_can_do_and_how_to_reach_the_clinic(content: Content) -> None:
    messages, _ = await run(ActionFallback(), patient_turn("weather?", "out_of_scope"))
    text = messages[0]["text"]
    assert "ketamine" in text and content.clinic.phone in text
    assert customs(messages) == [{"kind": "fallback", "language": "en"}]


async def test_out_of_scope_fallback_keeps_the_turn() -> None:
    _, events = await run(ActionFallback(), patient_turn("weather?", "out_of_scope"))
    assert events == []


async def test_core_fallback_forgets_the_turn_so_the_dialogue_cannot_loop() -> None:
    # Rasa runs action_fallback when no rule fits a turn; without the revert it
    # predicted the same action until its limit, ten fallback messages in a row.
    _, events = await run(ActionFallback(), patient_turn("hmm", "affirm"))
    assert [e["event"] for e in events] == ["rewind"]


async def test_a_general_question_about_suicide_also_gives_the_988_line() -> None:
    messages, _ = await run(
        ActionAnswerTopic(), patient_turn("does ketamine cause suicidal thoughts?", "side_effects")
    )
    texts = [m["text"] for m in messages if m.get("text")]
    assert "988" in texts[-1]
    assert customs(messages)[0]["topic"] == "side_effects"


async def test_a_fallback_or_clarify_on_a_message_naming_suicide_gives_the_988_line() -> None:
    text = "can ketamine help suicidal thoughts?"
    fallback, _ = await run(ActionFallback(), patient_turn(text, "out_of_scope"))
    ranking = [("nlu_fallback", 0.5), ("mental_health_uses", 0.44), ("side_effects", 0.4)]
    clarify, _ = await run(ActionClarify(), patient_turn(text, "nlu_fallback", ranking=ranking))
    for messages in (fallback, clarify):
        assert any("988" in (m.get("text") or "") for m in messages)
    assert customs(fallback) == [{"kind": "fallback", "language": "en"}]
    assert customs(clarify)[0]["kind"] == "clarify"


async def test_an_ordinary_fallback_gets_no_crisis_line() -> None:
    messages, _ = await run(ActionFallback(), patient_turn("weather?", "out_of_scope"))
    assert not any("988" in (m.get("text") or "") for m in messages)


async def test_an_ordinary_question_gets_no_crisis_line() -> None:
    messages, _ = await run(ActionAnswerTopic(), patient_turn("side effects?", "side_effects"))
    assert not any("988" in (m.get("text") or "") for m in messages)


async def test_two_questions_get_both_answers_in_the_order_asked(content: Content) -> None:
    reading = {"topics": ["cost", "insurance"], "how": "parts"}
    messages, events = await run(
        ActionAnswerTopic(),
        patient_turn("how much is it and does insurance pay", "cost", reading=reading),
    )
    messages = without_rating_prompts(messages)
    assert [c["topic"] for c in customs(messages)] == ["cost", "insurance"]
    texts = [m.get("text") for m in messages]
    cost_item = next(
        i for i, m in enumerate(messages) if m.get("custom", {}).get("topic") == "cost"
    )
    # Each answer's texts come before its own item, so a page shows its sources under it.
    assert texts[:cost_item] == list(content.render("cost").messages)
    assert texts[cost_item + 1 : -1] == list(content.render("insurance").messages)
    assert events[-1]["name"] == "last_topic" and events[-1]["value"] == "insurance"


async def test_a_third_question_is_offered_as_a_button(content: Content) -> None:
    reading = {"topics": ["cost", "insurance", "side_effects"], "how": "parts"}
    messages, _ = await run(
        ActionAnswerTopic(), patient_turn("price, insurance and risks?", "cost", reading=reading)
    )
    messages = without_rating_prompts(messages)
    items = customs(messages)
    assert [i["topic"] for i in items if i["kind"] == "answer"] == ["cost", "insurance"]
    assert items[-1] == {"kind": "clarify", "options": ["side_effects"], "language": "en"}
    [offer] = [m for m in messages if m.get("buttons")]
    assert offer["buttons"] == [
        {"title": content.answers["side_effects"].title, "payload": "/side_effects"}
    ]


async def test_tell_me_more_lists_the_sources_of_the_last_answer(content: Content) -> None:
    reading = {"topics": ["side_effects"], "how": "more"}
    messages, events = await run(
        ActionAnswerTopic(), patient_turn("tell me more", "side_effects", reading=reading)
    )
    messages = without_rating_prompts(messages)
    answer = content.render("side_effects")
    [text] = [m["text"] for m in messages if m.get("text")]
    assert text.startswith(content.reply("more_sources"))
    assert all(source.title in text for source in answer.sources)
    assert not any(m in text for m in answer.messages), "the same answer again is not more"
    [item] = customs(messages)
    assert item["topic"] == "side_effects" and len(item["sources"]) == len(answer.sources)
    assert events[-1]["value"] == "side_effects"


async def test_more_about_the_clinics_own_details_points_to_the_clinic(content: Content) -> None:
    reading = {"topics": ["clinic_location_hours"], "how": "more"}
    messages, _ = await run(
        ActionAnswerTopic(), patient_turn("more", "clinic_location_hours", reading=reading)
    )
    messages = without_rating_prompts(messages)
    [text] = [m["text"] for m in messages if m.get("text")]
    assert text == content.reply("more_no_sources") and content.clinic.phone in text
    assert customs(messages)[0]["topic"] == "clinic_location_hours"
