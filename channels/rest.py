"""The REST channel clinics integrate with: POST /webhooks/rest/webhook.

Rasa's own REST channel plus the guarantees of shared/api-contract.md:
- bad requests get a clear 4xx with a JSON `error`, never a 500;
- the first reply of a new conversation starts with the intro and disclaimer;
- every reply carries at least one `custom` item: if a part is down and the
  dialogue produced none, the patient is told to call the clinic (`fallback`);
- message text never reaches the logs.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.content_store import ContentStore, default_store

logger = logging.getLogger(__name__)

# Longer messages are refused with 413: no patient question needs more, and
# the limit keeps one request from tying up the NLU pipeline.
MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
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


def has_custom_item(messages: list[dict[str, Any]]) -> bool:
    return any(isinstance(m.get("custom"), dict) and m["custom"].get("kind") for m in messages)


def unavailable_reply(sender: str, store: ContentStore) -> list[dict[str, Any]]:
    return [
        {"recipient_id": sender, "text": store.content.reply("unavailable")},
        {"recipient_id": sender, "custom": {"kind": "fallback"}},
    ]


class ClinicRestInput(InputChannel):
    """Replaces Rasa's `rest` channel (same URL) with the contract's guarantees."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("clinic_rest_webhook", __name__)

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

            store = default_store()
            tracker_store = request.app.ctx.agent.tracker_store
            is_new = not await tracker_store.exists(sender)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender, input_channel=self.name(), metadata=metadata
                    )
                )
            except Exception as error:  # the patient must still get a reply
                logger.error(
                    "Handling a message failed (%s); sent the unavailable reply",
                    type(error).__name__,
                )
                return response.json(unavailable_reply(sender, store))

            messages = list(collector.messages)
            if not has_custom_item(messages):
                logger.warning("A reply had no custom item (is the action server up?)")
                messages += unavailable_reply(sender, store)
            if is_new:
                messages.insert(0, {"recipient_id": sender, "text": store.content.reply("intro")})
            return response.json(messages)

        return webhook
