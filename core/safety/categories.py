"""The safety categories, declared once: emergencies and contraindications.

The names are the REST contract's (shared/api-contract.md): an `emergency`
item's `category` and a `handoff` item's `conditions`. Everything else
follows from this module, or tests/unit/test_categories.py checks it against it:
- the screen's lexicon (core/safety/lexicon.yml) lists phrases for exactly
  these categories, or refuses to load;
- each emergency has its intent `emergency_<category>` in domain.yml and the
  NLU data, its replies in domain.yml, rules in data/rules.yml that give them
  (also during the callback form), the same replies in the REST channel for
  when the dialogue cannot run, and a banner on the web page
  (content/page.yml);
- each contraindication is a value of the `primary_condition` slot and has
  its own explanation in `utter_handoff_contraindication` (domain.yml).

A category added here fails those checks until every piece exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Emergency:
    category: str
    # The domain responses the reply is made of, in order: data/rules.yml
    # utters them, and the REST channel sends them when the dialogue cannot.
    replies: tuple[str, ...]

    @property
    def intent(self) -> str:
        return f"emergency_{self.category}"


# Most urgent first: a message that holds two gets the reply for the first.
EMERGENCIES = (
    Emergency("crisis", ("utter_emergency_crisis", "utter_emergency_crisis_more")),
    Emergency("medical", ("utter_emergency_medical", "utter_emergency_no_wait")),
    Emergency("red_flag", ("utter_emergency_red_flag", "utter_emergency_no_wait")),
    Emergency("violence", ("utter_emergency_violence", "utter_emergency_violence_more")),
)
EMERGENCY_PRIORITY = tuple(emergency.category for emergency in EMERGENCIES)
EMERGENCY_INTENTS = {emergency.category: emergency.intent for emergency in EMERGENCIES}

# Conditions that make ketamine risky: a disclosure is handed to staff.
CONDITION_CATEGORIES = (
    "psychosis",
    "ptsd",
    "cardiovascular",
    "liver",
    "pregnancy",
    "intracranial_pressure",
    "eye_pressure",
    "substance_use",
    "thyroid",
    "ketamine_allergy",
)
