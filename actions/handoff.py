"""Actions that hand a conversation to clinic staff and collect a callback."""

from __future__ import annotations

import abc
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import language_of
from core import contract
from core.contact_details import clean_name, parse_contact
from core.content_store import default_store
from core.handoffs import from_conversation, spool
from core.handoffs.store import HandoffStore

logger = logging.getLogger(__name__)

CALLBACK_SLOTS = ("callback_name", "callback_contact", "callback_time")
MAX_TIME_LENGTH = 120
_store: HandoffStore | None = None


def handoff_store() -> HandoffStore:
    """The process-wide handoff store (HANDOFF_DB_URL, default var/data/handoffs.db)."""
    global _store
    if _store is None:
        _store = HandoffStore()
    return _store


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    return from_conversation.transcript(tracker.events)


def request_for_a_person(tracker: Tracker) -> dict[str, Any]:
    """A `user_request` handoff request from the latest message, whatever its intent."""
    latest = {**tracker.latest_message, "intent": {"name": "request_human"}}
    return from_conversation.request_from(
        tracker.sender_id, latest, tracker.events, language_of(tracker)
    )


def record_callback(tracker: Tracker, status: str, **details: Any) -> dict[str, Any]:
    """Stores the patient's callback answer; spools it if the database cannot take it."""
    handoff_id = tracker.get_slot("handoff_id")
    language = language_of(tracker)
    try:
        handoff = handoff_store().record_callback(
            handoff_id, status, transcript=transcript(tracker), **details
        )
        return contract.handoff_item(handoff, language=language)
    except Exception as error:  # database down, or the request itself was spooled
        logger.error("Callback not stored (%s); spooling", type(error).__name__)
    request = request_for_a_person(tracker)
    request["reason"] = tracker.get_slot("handoff_reason") or "user_request"
    request["callback"] = {"status": status, **details, "original_id": handoff_id}
    return contract.spooled_handoff_item(request, spool.spool(request), language=language)


def remembered(reason: str, handoff_id: str | None) -> list[EventType]:
    """What the conversation keeps of a handoff, stored or spooled."""
    events: list[EventType] = [SlotSet("handoff_id", handoff_id), SlotSet("handoff_reason", reason)]
    if reason == "contraindication":
        # Later eligibility and booking answers remind of clinician review.
        events.append(SlotSet("contraindication_handoff", True))
    return events


class ActionCreateHandoff(Action):
    """Stores a handoff request (staff are notified), tells the patient, offers a callback."""

    def name(self) -> str:
        return "action_create_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        content = default_store().content
        language = language_of(tracker)
        # The request keeps the patient's language: staff call back in it.
        request = from_conversation.request_from(
            tracker.sender_id, tracker.latest_message, tracker.events, language
        )
        if request is None:  # triggered without a disclosure or request: treat as a request
            request = request_for_a_person(tracker)
        try:
            handoff = handoff_store().create(**request)
        except Exception as error:  # the database is down: the request must not be lost
            logger.error("Handoff database unavailable (%s); spooling", type(error).__name__)
            provisional = spool.spool(request)
            dispatcher.utter_message(text=content.reply("handoff_spooled", language))
            dispatcher.utter_message(
                json_message=contract.spooled_handoff_item(request, provisional, language=language)
            )
            return remembered(request["reason"], handoff_id=None)

        dispatcher.utter_message(text=content.reply("handoff_created", language))
        dispatcher.utter_message(json_message=contract.handoff_item(handoff, language=language))
        dispatcher.utter_message(
            text=content.reply("callback_offer", language),
            buttons=content.buttons("callback_offer", language),
        )
        return remembered(handoff.reason, handoff.id)


class AskCallbackDetail(Action, abc.ABC):
    """Asks for one callback detail; the form calls `action_ask_<slot>`."""

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = language_of(tracker)
        dispatcher.utter_message(text=default_store().content.reply(f"ask_{self.slot}", language))
        dispatcher.utter_message(json_message=contract.ask_item(self.slot, language=language))
        return []


class AskCallbackName(AskCallbackDetail):
    slot = "callback_name"


class AskCallbackContact(AskCallbackDetail):
    slot = "callback_contact"


class AskCallbackTime(AskCallbackDetail):
    slot = "callback_time"


def utter_invalid(dispatcher: CollectingDispatcher, tracker: Tracker, reply: str) -> None:
    """Why a callback detail was not usable, and how to give it."""
    dispatcher.utter_message(text=default_store().content.reply(reply, language_of(tracker)))


class ValidateCallbackForm(FormValidationAction):
    """Checks each callback detail and asks again, clearly, when one is not usable."""

    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            utter_invalid(dispatcher, tracker, "invalid_name")
        return {"callback_name": name}

    def validate_callback_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        contact = parse_contact(str(value or ""))
        if contact is None:
            utter_invalid(dispatcher, tracker, "invalid_contact")
            return {"callback_contact": None}
        return {"callback_contact": str(contact)}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if not text or len(text) > MAX_TIME_LENGTH:
            utter_invalid(dispatcher, tracker, "invalid_time")
            return {"callback_time": None}
        return {"callback_time": text}


class ActionSaveCallback(Action):
    """Adds the callback details to the handoff request (staff are notified again)."""

    def name(self) -> str:
        return "action_save_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        contact = parse_contact(tracker.get_slot("callback_contact") or "")
        item = record_callback(
            tracker,
            "requested",
            name=tracker.get_slot("callback_name"),
            phone=contact.phone if contact else None,
            email=contact.email if contact else None,
            best_time=tracker.get_slot("callback_time"),
        )
        dispatcher.utter_message(
            text=default_store().content.reply("callback_saved", language_of(tracker))
        )
        dispatcher.utter_message(json_message=item)
        # The details now live in the handoff store only; keep them out of the tracker.
        return [SlotSet(slot, None) for slot in CALLBACK_SLOTS]


class ActionDeclineCallback(Action):
    """The patient does not want a callback: the request stays open for staff."""

    def name(self) -> str:
        return "action_decline_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        item = record_callback(tracker, "declined")
        dispatcher.utter_message(
            text=default_store().content.reply("callback_declined", language_of(tracker))
        )
        dispatcher.utter_message(json_message=item)
        return []
