"""The REST channel clinics integrate with: POST /webhooks/rest/webhook.

Rasa's own REST channel plus the guarantees of shared/api-contract.md:
- bad requests get a clear 4xx with a JSON `error`, never a 500;
- the first reply of a new conversation starts with the intro and disclaimer;
- every reply carries at least one `custom` item: if a part is down and the
  dialogue produced none, the patient is told to call the clinic (`fallback`);
- each conversation and each client address may send only so many messages a
  window (`core/rate_limit.py`): past that, 429 with a JSON `error` and a
  Retry-After header, except for an emergency or a disclosure, which always
  go through (`must_answer`); a refused message is not written to the tracker;
- message text never reaches the logs.

Loading it changes nothing in Rasa: the speed-ups to Rasa's internals are
installed only by the Rasa server's entry point (rasa_server/__main__.py).
It does freeze the heap once the server has started (`frozen_heap`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.lock_store import RedisLockStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core import contract, rate_limit
from core.content_store import ContentStore, default_store
from core.context import LANGUAGE_SLOT
from core.contract import MAX_MESSAGE_CHARS, MAX_SENDER_CHARS
from core.handoffs import from_conversation, spool
from core.language import detect
from core.languages import LANGUAGES, spoken_or_english
from core.safety.categories import EMERGENCIES
from core.safety.layers import SAFETY_INTENTS
from core.safety.screen import default_screen
from core.settings import settings
from rasa_server import frozen_heap, language_component

logger = logging.getLogger(__name__)

# A patient waits at most this long. Rasa gives a custom action five minutes;
# past the deadline the patient gets what is ready plus how to reach the
# clinic, while the message is still processed and saved in the background.
REPLY_DEADLINE_SECONDS = settings().reply_deadline_seconds
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_request(body: Any) -> tuple[str, str, dict[str, Any] | None]:
    """(sender, message, metadata) from a request body, or RequestError saying what is wrong."""
    if not isinstance(body, dict):
        raise RequestError(400, 'expected a JSON object like {"sender": "...", "message": "..."}')
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        raise RequestError(400, "'sender' must be a non-empty string (the conversation id)")
    if len(sender) > MAX_SENDER_CHARS:
        raise RequestError(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters")
    if not isinstance(message, str):
        raise RequestError(400, "'message' must be a string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise RequestError(413, f"'message' must be at most {MAX_MESSAGE_CHARS} characters")
    message = CONTROL_CHARACTERS.sub(" ", unicodedata.normalize("NFC", message)).strip()
    if not message:
        raise RequestError(400, "'message' is empty")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "'metadata' must be an object")
    return sender.strip(), message, metadata


def _log_late_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("A late reply failed (%s)", type(task.exception()).__name__)


# The replies data/rules.yml gives each emergency (tests/unit/test_categories.py
# proves they match), for when the dialogue cannot run in time.
EMERGENCY_RESPONSES = {emergency.intent: emergency.replies for emergency in EMERGENCIES}


async def emergency_reply(
    agent: Any, sender: str, intent: str, language: str | None = None
) -> list[dict[str, Any]]:
    """The emergency instructions, straight from the domain: they wait for nothing.

    In the message's language when it was clear (`language` entity), since
    the conversation's own `language` slot cannot be read without it.
    """
    tracker = DialogueStateTracker(sender, agent.domain.slots)
    if language:
        tracker.update(SlotSet(LANGUAGE_SLOT, language))
    messages: list[dict[str, Any]] = []
    for name in EMERGENCY_RESPONSES[intent]:
        generated = await agent.nlg.generate(name, tracker, "rest") or {}
        if generated.get("text"):
            messages.append({"recipient_id": sender, "text": generated["text"]})
        if generated.get("custom"):
            messages.append({"recipient_id": sender, "custom": generated["custom"]})
    return messages


async def spool_missing_handoff(
    agent: Any, message: UserMessage, parse: dict[str, Any], store: ContentStore
) -> list[dict[str, Any]]:
    """Records a handoff the action server could not, so none is ever lost.

    The request keeps the message's id, so if the action server does store it
    later (it was only slow), replaying the spool finds it and adds nothing.
    """
    latest = {**parse, "text": message.text, "message_id": message.message_id}
    tracker = await agent.tracker_store.retrieve(message.sender_id)
    events = [event.as_dict() for event in tracker.events] if tracker else []
    if not any(e.get("message_id") == message.message_id for e in events):
        events.append({"event": "user", "text": message.text, "message_id": message.message_id})
    # The conversation is at hand: no second read of the tracker store.
    language = language_in_hand(message, []) or slot_language(tracker)
    request = from_conversation.request_from(message.sender_id, latest, events, language)
    if request is None:
        return []
    item = contract.spooled_handoff_item(request, spool.spool(request), language=language)
    return [
        {
            "recipient_id": message.sender_id,
            "text": store.content.reply("handoff_spooled", language),
        },
        {"recipient_id": message.sender_id, "custom": item},
    ]


async def recover(
    agent: Any, message: UserMessage, messages: list[dict[str, Any]], store: ContentStore
) -> list[dict[str, Any]]:
    """A part failed or was too slow: emergency instructions first, and no handoff lost."""
    kinds = contract.reply_kinds(messages)
    if "emergency" in kinds:
        return messages
    parse = await agent.parse_message(message.text)  # NLU needs no conversation lock
    intent = (parse.get("intent") or {}).get("name")
    if intent in EMERGENCY_RESPONSES:
        language = next(
            (
                e.get("value")
                for e in parse.get("entities") or []
                if e.get("entity") == language_component.ENTITY
            ),
            None,
        ) or await conversation_language(agent, message, messages)
        return await emergency_reply(agent, message.sender_id, intent, language) + messages
    if "handoff" not in kinds:
        messages = messages + await spool_missing_handoff(agent, message, parse, store)
    return messages


async def conversation_language(
    agent: Any, message: UserMessage, messages: list[dict[str, Any]]
) -> str:
    """The language to answer in: the reply's, else the message's, else the conversation's.

    Only the REST channel's own replies ask (the intro, and the replies when a
    part failed), so reading the conversation is rare and may fail.
    """
    language = language_in_hand(message, messages)
    if language:
        return language
    try:
        tracker = await agent.tracker_store.retrieve(message.sender_id)
    except Exception as error:  # the tracker store is down: the reply must still come
        logger.error("Tracker store unavailable (%s)", type(error).__name__)
        tracker = None
    return slot_language(tracker)


def language_in_hand(message: UserMessage, messages: list[dict[str, Any]]) -> str | None:
    """The reply's language, else the one the client asked for or the message is clearly in."""
    for item in messages:
        language = (item.get("custom") or {}).get("language")
        if language in LANGUAGES:
            return language
    return language_component.requested_language(message.metadata) or detect(message.text)


def slot_language(tracker: DialogueStateTracker | None) -> str:
    """The conversation's language (English without a conversation)."""
    return spoken_or_english(tracker.get_slot(LANGUAGE_SLOT) if tracker else None)


def unavailable_reply(sender: str, store: ContentStore, language: str) -> list[dict[str, Any]]:
    return [
        {"recipient_id": sender, "text": store.content.reply("unavailable", language)},
        {"recipient_id": sender, "custom": contract.fallback_item(language=language)},
    ]


# The question a "yes" confirms a disclosure to (data/rules.yml): the handoff
# it creates must not be lost to a limit either.
DISCLOSURE_QUESTION = "utter_confirm_disclosure"


def _latest_bot_action(tracker: DialogueStateTracker | None) -> str | None:
    if tracker is None:
        return None
    event = tracker.get_last_event_for(ActionExecuted, action_names_to_exclude=[ACTION_LISTEN_NAME])
    return event.action_name if event else None


async def must_answer(agent: Any, sender: str, text: str) -> bool:
    """Whether a message over the rate limit still goes through: emergencies and disclosures.

    The cheapest test first: the deterministic safety screen (under a
    millisecond, bench/NOTES.md) recognises most. When it finds nothing, the
    message is read by NLU as the dialogue would read it (the same screen
    and the intent model, `core/safety/layers.py`), since the model alone
    catches indirect crisis language the lexicon cannot list. A "yes" to the
    assistant's question whether the patient disclosed a condition goes
    through too: it creates the handoff. Nothing of this reads or writes the
    conversation, except the last case's look at its latest action.
    """
    if not text.startswith("/") and default_screen().screen(text).is_safety_signal:
        return True
    parse = await agent.parse_message(text)
    intent = (parse.get("intent") or {}).get("name")
    if intent in SAFETY_INTENTS:
        return True
    if intent == "affirm":
        tracker = await agent.tracker_store.retrieve(sender)
        return _latest_bot_action(tracker) == DISCLOSURE_QUESTION
    return False


def counters_for(agent: Any) -> rate_limit.Counters | None:
    """Where every replica sees the counters: the lock store's Redis, else the tracker store's
    database. None when neither is shared (an in-memory store: a test or `rasa shell`)."""
    if isinstance(agent.lock_store, RedisLockStore):
        return rate_limit.RedisCounters(agent.lock_store.red)
    store = agent.tracker_store
    while store is not None and not hasattr(store, "engine"):
        store = getattr(store, "_tracker_store", None)  # Rasa's wrappers keep the real store here
    return rate_limit.SqlCounters(store.engine) if store is not None else None


def limits_from_settings() -> rate_limit.Limits:
    config = settings()
    return rate_limit.Limits(
        config.rate_limit_per_conversation,
        config.rate_limit_per_address,
        config.rate_limit_window_seconds,
    )


def refusal(verdict: rate_limit.Verdict, window_seconds: int) -> HTTPResponse:
    whose = "this conversation" if verdict.exceeded == rate_limit.CONVERSATION else "this address"
    return response.json(
        {
            "error": f"too many messages: {whose} may send {verdict.limit} every "
            f"{window_seconds} seconds; try again in {verdict.retry_after} seconds",
        },
        status=429,
        headers={"Retry-After": str(verdict.retry_after)},
    )


class ClinicRestInput(InputChannel):
    """Replaces Rasa's `rest` channel (same URL) with the contract's guarantees."""

    def __init__(self) -> None:
        self.limits = limits_from_settings()
        self.trusted_proxies = rate_limit.parse_networks(settings().trusted_proxies)
        self._limiter: rate_limit.RateLimiter | None = None
        self._limiter_ready = False

    @classmethod
    def name(cls) -> str:
        return "rest"

    def limiter(self, agent: Any) -> rate_limit.RateLimiter | None:
        """The limiter, made on first use: the agent's stores exist only once it is loaded.

        If making it fails (the database is down), the next message tries again.
        """
        if not self._limiter_ready and self.limits.enabled:
            counters = counters_for(agent)
            if counters is None:
                logger.error("No shared store for rate-limit counters; not limiting")
            else:
                self._limiter = rate_limit.RateLimiter(self.limits, counters)
                default_screen()  # loaded now, not when the first emergency is over the limit
        self._limiter_ready = True
        return self._limiter

    async def over_limit(self, request: Request, sender: str, text: str) -> HTTPResponse | None:
        """The 429 for a message over a limit, or None to handle it.

        Whatever fails here lets the message through: a patient's message
        matters more than the limit.
        """
        agent = request.app.ctx.agent
        try:
            # The counters are a network or disk round trip: off the event loop.
            limiter = self._limiter
            if not self._limiter_ready:
                limiter = await asyncio.to_thread(self.limiter, agent)
            if limiter is None:
                return None
            address = rate_limit.client_address(
                request.ip, request.headers.getall("x-forwarded-for", []), self.trusted_proxies
            )
            verdict = await asyncio.to_thread(limiter.check, sender, address)
            if verdict.allowed:
                return None
            if await must_answer(agent, sender, text):
                logger.info("A safety message over the %s limit goes through", verdict.exceeded)
                return None
        except Exception as error:
            logger.error("Rate limiting failed (%s); not limiting", type(error).__name__)
            return None
        logger.info("Refused a message over the %s rate limit", verdict.exceeded)
        return refusal(verdict, self.limits.window_seconds)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("clinic_rest_webhook", __name__)
        webhook.listener("after_server_start")(frozen_heap.freeze_after_start)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # sanic raises its own error type for bad JSON
                return response.json({"error": "the body is not valid JSON"}, status=400)
            try:
                sender, text, metadata = parse_request(body)
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            refused = await self.over_limit(request, sender, text)
            if refused is not None:
                return refused

            store = default_store()
            agent = request.app.ctx.agent
            try:
                is_new = not await agent.tracker_store.exists(sender)
            except Exception as error:  # a tracker store outage must not cost the reply
                logger.error("Tracker store unavailable (%s)", type(error).__name__)
                is_new = False
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata
            )
            handling = asyncio.ensure_future(on_new_message(message))
            done, _ = await asyncio.wait({handling}, timeout=REPLY_DEADLINE_SECONDS)
            if handling not in done:
                logger.warning(
                    "Reply not ready after %.0f s; answering now", REPLY_DEADLINE_SECONDS
                )
                handling.add_done_callback(_log_late_failure)
            elif handling.exception() is not None:
                logger.error("Handling a message failed (%s)", type(handling.exception()).__name__)

            messages = list(collector.messages)
            # Only when a part failed (no machine-readable item, or too slow)
            # can an emergency reply or a handoff be missing.
            if not contract.reply_kinds(messages) or handling not in done:
                try:
                    messages = await recover(agent, message, messages, store)
                except Exception as error:  # e.g. the tracker store is down too
                    logger.error("Recovery after a failed part failed (%s)", type(error).__name__)
            if not contract.reply_kinds(messages):
                logger.warning("A reply had no custom item (is the action server up?)")
                language = await conversation_language(agent, message, messages)
                messages += unavailable_reply(sender, store, language)
            if is_new:
                language = await conversation_language(agent, message, messages)
                intro = store.content.reply("intro", language)
                messages.insert(0, {"recipient_id": sender, "text": intro})
            return response.json(messages)

        return webhook
