"""The safety categories are declared once (core/safety/categories.py); every other place agrees.

Each check below lists what is missing or extra in one place, for a given
declaration: it passes on the project as it is, and the last tests prove it
would name a category added to (or taken out of) the declaration alone.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.context import LANGUAGE_SLOT
from core.languages import LANGUAGES
from core.safety.categories import (
    CONDITION_CATEGORIES,
    EMERGENCIES,
    EMERGENCY_PRIORITY,
    Emergency,
)
from core.settings import PROJECT_ROOT, settings
from tests.conftest import TEST_DATA, read_yaml

DOMAIN = read_yaml(PROJECT_ROOT / "domain.yml")
RULES = read_yaml(PROJECT_ROOT / "data" / "rules.yml")["rules"]
APP_JS = (PROJECT_ROOT / "web" / "app.js").read_text(encoding="utf-8")
CALLBACK_FORM = "callback_form"
# What a rule does before an emergency's replies when the callback form is active.
LEAVE_THE_FORM = [
    {"action": "action_deactivate_loop"},
    {"active_loop": None},
    {"slot_was_set": [{"requested_slot": None}]},
]
CONDITION_SLOT = "primary_condition"
HANDOFF_RESPONSE = "utter_handoff_contraindication"

NEW_EMERGENCY = Emergency("poisoning", ("utter_emergency_poisoning", "utter_emergency_no_wait"))


def emergency_items(domain: dict[str, Any]) -> dict[str, set[str]]:
    """The categories of the `emergency` items each domain response carries."""
    found: dict[str, set[str]] = {}
    for name, variations in domain["responses"].items():
        for variation in variations:
            custom = variation.get("custom") or {}
            if custom.get("kind") == "emergency":
                found.setdefault(name, set()).add(custom.get("category"))
    return found


def domain_problems(emergencies: tuple[Emergency, ...], domain: dict[str, Any]) -> list[str]:
    problems = []
    intents, responses = set(domain["intents"]), domain["responses"]
    for emergency in emergencies:
        if emergency.intent not in intents:
            problems.append(f"{emergency.category}: no intent {emergency.intent} in domain.yml")
        missing = [name for name in emergency.replies if name not in responses]
        if missing:
            problems.append(f"{emergency.category}: no response {', '.join(missing)}")
            continue
        first = emergency.replies[0]
        item = {"kind": "emergency", "category": emergency.category}
        # A variation in another language also says which (shared/api-contract.md).
        carried = [dict(v.get("custom") or {}) for v in responses[first]]
        if any({k: v for k, v in c.items() if k != "language"} != item for c in carried):
            problems.append(f"{emergency.category}: every variation of {first} must carry {item}")
        if any(c.get("language", "en") not in ("en", "es") for c in carried):
            problems.append(f"{emergency.category}: {first} names a language other than en, es")
    declared_intents = {emergency.intent for emergency in emergencies}
    for intent in sorted({i for i in intents if i.startswith("emergency_")} - declared_intents):
        problems.append(f"intent {intent} in domain.yml is no declared emergency")
    declared = {emergency.category for emergency in emergencies}
    for name, categories in emergency_items(domain).items():
        for category in sorted(categories - declared):
            problems.append(f"{name} carries the undeclared emergency category {category}")
    # A patient who writes an emergency in the middle of the callback form
    # gets the emergency reply, never a slot filled with it.
    for slot in domain["forms"][CALLBACK_FORM]["required_slots"]:
        for mapping in domain["slots"][slot]["mappings"]:
            for intent in sorted(declared_intents - set(mapping.get("not_intent") or [])):
                problems.append(f"slot {slot} would take {intent} as its value (not_intent)")
    return problems


def rule_problems(emergencies: tuple[Emergency, ...], rules: list[dict[str, Any]]) -> list[str]:
    problems = []
    for emergency in emergencies:
        intent = {"intent": emergency.intent}
        replies = [{"action": name} for name in emergency.replies]
        starting = [rule for rule in rules if rule["steps"][0] == intent]
        anytime = [rule["steps"] for rule in starting if "condition" not in rule]
        if anytime != [[intent, *replies]]:
            problems.append(
                f"{emergency.category}: data/rules.yml needs one rule: {emergency.intent}, "
                f"then {', '.join(emergency.replies)}"
            )
        in_form = [
            rule["steps"]
            for rule in starting
            if rule.get("condition") == [{"active_loop": CALLBACK_FORM}]
        ]
        if in_form != [[intent, *LEAVE_THE_FORM, *replies]]:
            problems.append(
                f"{emergency.category}: data/rules.yml needs one rule interrupting the "
                f"{CALLBACK_FORM} with {', '.join(emergency.replies)}"
            )
    declared = {emergency.intent for emergency in emergencies}
    for rule in rules:
        intent = rule["steps"][0].get("intent", "")
        if intent.startswith("emergency_") and intent not in declared:
            problems.append(f"rule '{rule['rule']}' answers the undeclared {intent}")
    return problems


def channel_problems(
    emergencies: tuple[Emergency, ...], channel: dict[str, tuple[str, ...]]
) -> list[str]:
    expected = {emergency.intent: emergency.replies for emergency in emergencies}
    return [
        f"the REST channel sends {channel.get(intent)} for {intent}, not {expected.get(intent)}"
        for intent in sorted(expected.keys() | channel.keys())
        if channel.get(intent) != expected.get(intent)
    ]


def banner_problems(emergencies: tuple[Emergency, ...], config: dict[str, Any]) -> list[str]:
    """In every language the page is offered in, one banner per declared category."""
    declared = [emergency.category for emergency in emergencies]
    problems = []
    for language, page in config["languages"].items():
        banners = page["texts"]["emergency_banners"]
        problems += [
            f"the page has no {language} banner for {c}" for c in declared if c not in banners
        ]
        problems += [
            f"the page has a {language} banner for the undeclared {c}"
            for c in banners
            if c not in declared
        ]
        for category, banner in banners.items():
            if not (banner.get("title") and banner.get("text")):
                problems.append(f"the {language} {category} banner needs a title and a text")
    return problems


def variation_slots(variation: dict[str, Any]) -> dict[str, Any]:
    """The slot values a response variation is given for."""
    return {
        condition["name"]: condition.get("value") for condition in variation.get("condition") or []
    }


def condition_problems(conditions: tuple[str, ...], domain: dict[str, Any]) -> list[str]:
    problems = []
    values = domain["slots"][CONDITION_SLOT]["values"]
    if values != list(conditions):
        problems.append(f"slot {CONDITION_SLOT} lists {values}, not {list(conditions)}")
    explained = [
        (slots.get(CONDITION_SLOT), slots.get(LANGUAGE_SLOT))
        for slots in map(variation_slots, domain["responses"][HANDOFF_RESPONSE])
        if slots
    ]
    for language in LANGUAGES:
        # None: the explanation for a condition the slot does not name.
        for category in (*conditions, None):
            if explained.count((category, language)) != 1:
                what = category or "any other condition"
                problems.append(f"{HANDOFF_RESPONSE} needs one '{language}' explanation for {what}")
    undeclared = {category for category, _ in explained if category} - set(conditions)
    for category in sorted(undeclared):
        problems.append(f"{HANDOFF_RESPONSE} explains the undeclared {category}")
    if (
        sum(not variation.get("condition") for variation in domain["responses"][HANDOFF_RESPONSE])
        != 1
    ):
        problems.append(f"{HANDOFF_RESPONSE} needs one last resort, with no condition")
    return problems


def contract_categories(text: str) -> tuple[set[str], set[str]]:
    """The emergency and the contraindication categories shared/api-contract.md names."""
    [emergency_row] = [line for line in text.splitlines() if line.startswith("| `emergency`")]
    emergencies = set(re.findall(r"`(\w+)` \(", emergency_row))
    conditions_part = text.split("Contraindication categories (`conditions`):", 1)[1]
    conditions = set(re.findall(r"`(\w+)`", conditions_part.split("\n\n", 1)[0]))
    return emergencies, conditions


def contract_problems(
    emergencies: tuple[Emergency, ...], conditions: tuple[str, ...], text: str
) -> list[str]:
    named_emergencies, named_conditions = contract_categories(text)
    declared = {emergency.category for emergency in emergencies}
    return [
        f"shared/api-contract.md and the declaration differ on {sorted(named ^ set(ours))}"
        for named, ours in ((named_emergencies, declared), (named_conditions, conditions))
        if named != set(ours)
    ]


def page_config() -> dict[str, Any]:
    from tools.web_server import page_config

    return page_config("http://127.0.0.1:5005/webhooks/rest/webhook")


def channel_responses() -> dict[str, tuple[str, ...]]:
    from rasa_server.rest_channel import EMERGENCY_RESPONSES

    return EMERGENCY_RESPONSES


# --- the project as it is -------------------------------------------------------


def test_the_domain_has_each_emergency_s_intent_and_replies() -> None:
    assert domain_problems(EMERGENCIES, DOMAIN) == []


def test_the_rules_give_each_emergency_its_replies_also_during_the_callback_form() -> None:
    assert rule_problems(EMERGENCIES, RULES) == []


def test_the_rest_channel_sends_the_replies_the_rules_give() -> None:
    assert channel_problems(EMERGENCIES, channel_responses()) == []


def test_the_page_has_a_banner_for_each_emergency() -> None:
    assert banner_problems(EMERGENCIES, page_config()) == []


def test_the_domain_explains_each_contraindication() -> None:
    assert condition_problems(CONDITION_CATEGORIES, DOMAIN) == []


def test_the_rest_contract_names_the_declared_categories() -> None:
    text = (settings().shared_dir / "api-contract.md").read_text(encoding="utf-8")
    assert contract_problems(EMERGENCIES, CONDITION_CATEGORIES, text) == []


def test_the_lexicon_lists_phrases_for_exactly_the_declared_categories() -> None:
    from core.safety.screen import Lexicon

    lexicon = Lexicon.load()
    assert tuple(lexicon.emergencies) == EMERGENCY_PRIORITY
    assert tuple(lexicon.conditions) == CONDITION_CATEGORIES


def test_the_evaluation_sets_test_every_declared_category_and_no_other() -> None:
    from tools.evaluate_cases import load_cases

    cases = load_cases(*sorted(TEST_DATA.glob("*/*.yml")))
    expected = {case.detail for case in cases if case.kind == "emergency"}
    # A bare `handoff` (any condition) names no category.
    disclosed = {case.detail for case in cases if case.kind == "handoff" and case.detail}
    assert expected == set(EMERGENCY_PRIORITY)
    assert disclosed == set(CONDITION_CATEGORIES)


def test_the_page_script_holds_no_copy_of_the_banners() -> None:
    """app.js shows what config.json gives it: no category, number or banner text of its own."""
    copied = [category for category in EMERGENCY_PRIORITY if category in APP_JS]
    copied += re.findall(r"\b(?:911|988|741741|88788)\b|1-800-\d{3}-\d{4}", APP_JS)
    for page in page_config()["languages"].values():
        texts = page["texts"]
        banners = [texts["handoff_banner"], *texts["emergency_banners"].values()]
        copied += [b["title"] for b in banners if b["title"] in APP_JS]
    assert not copied, f"web/app.js copies {copied}: read them from config.languages"


def test_an_unknown_emergency_category_still_gets_the_call_911_banner() -> None:
    for page in page_config()["languages"].values():
        assert "911" in page["unknownEmergencyBanner"]["text"]


# --- a declaration that drifted from the rest ---------------------------------------


def test_a_category_added_only_to_the_declaration_is_named_everywhere_it_is_missing() -> None:
    added = (*EMERGENCIES, NEW_EMERGENCY)
    text = (settings().shared_dir / "api-contract.md").read_text(encoding="utf-8")
    for problems in (
        domain_problems(added, DOMAIN),
        rule_problems(added, RULES),
        channel_problems(added, channel_responses()),
        banner_problems(added, page_config()),
        contract_problems(added, CONDITION_CATEGORIES, text),
    ):
        assert any("poisoning" in problem for problem in problems), problems


def test_a_category_left_out_of_the_declaration_is_named_where_it_remains() -> None:
    without_violence = tuple(e for e in EMERGENCIES if e.category != "violence")
    for problems in (
        domain_problems(without_violence, DOMAIN),
        rule_problems(without_violence, RULES),
        channel_problems(without_violence, channel_responses()),
        banner_problems(without_violence, page_config()),
    ):
        assert any("violence" in problem for problem in problems), problems


def test_a_callback_slot_that_would_swallow_an_emergency_is_named() -> None:
    domain = read_yaml(PROJECT_ROOT / "domain.yml")
    domain["slots"]["callback_time"]["mappings"][0]["not_intent"].remove("emergency_medical")
    assert domain_problems(EMERGENCIES, domain) == [
        "slot callback_time would take emergency_medical as its value (not_intent)"
    ]


def condition_drift(conditions: tuple[str, ...]) -> list[str]:
    text = (settings().shared_dir / "api-contract.md").read_text(encoding="utf-8")
    return condition_problems(conditions, DOMAIN) + contract_problems(EMERGENCIES, conditions, text)


def test_a_contraindication_added_or_left_out_is_named() -> None:
    added = condition_drift((*CONDITION_CATEGORIES, "asthma"))
    assert any("asthma" in problem for problem in added), added
    left_out = condition_drift(CONDITION_CATEGORIES[:-1])
    assert any("ketamine_allergy" in problem for problem in left_out), left_out


def test_the_rest_tests_refuse_a_reply_with_an_undeclared_category() -> None:
    from tests.contract import assert_follows_contract

    def reply(custom: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"recipient_id": "c-1", "custom": custom}]

    crisis = {"kind": "emergency", "category": "crisis", "language": "en"}
    assert_follows_contract(reply(crisis), "c-1")
    with pytest.raises(AssertionError, match="languages"):
        assert_follows_contract(reply({"kind": "emergency", "category": "crisis"}), "c-1")
    with pytest.raises(AssertionError, match="undeclared category"):
        assert_follows_contract(reply({**crisis, "category": "poisoning"}), "c-1")
    asthma = {"kind": "handoff", "reason": "contraindication", "handoff_id": "h-1",
              "conditions": ["asthma"], "language": "en"}  # fmt: skip
    with pytest.raises(AssertionError, match="undeclared conditions"):
        assert_follows_contract(reply(asthma), "c-1")
