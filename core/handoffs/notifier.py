"""Delivers the handoff store's notifications to the clinic's staff webhook.

A notification is POSTed as JSON to `HANDOFF_WEBHOOK_URL`. It stays in the
outbox until the webhook answers 2xx, then it is marked delivered and never
sent again. While the webhook is down, retries back off exponentially up to
`MAX_BACKOFF_SECONDS`. Each POST carries an `Idempotency-Key` header (the
notification's id), so a receiver can ignore a repeat in the one case no
sender can rule out: a crash between the webhook's 2xx and our bookkeeping.
With `HANDOFF_WEBHOOK_SECRET` set, each POST is signed (core/handoffs/signing.py).
"""

from __future__ import annotations

import json
import logging
import threading

import requests

from core.handoffs import signing, spool
from core.handoffs.store import HandoffStore
from core.settings import settings

logger = logging.getLogger(__name__)

BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
REQUEST_TIMEOUT_SECONDS = 5.0


def backoff(attempts: int) -> float:
    """Seconds to wait after the given number of failed attempts: 2, 4, 8... up to 5 min."""
    return min(BASE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


class WebhookNotifier:
    def __init__(
        self,
        store: HandoffStore,
        url: str | None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        secret: str | None = None,
    ):
        self.store = store
        self.url = url
        self.timeout = timeout
        self.secret = secret
        self.session = requests.Session()

    def request(self, notification_id: int, payload: dict) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers of one POST: the signature covers these bytes."""
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"handoff-notification-{notification_id}",
        }
        if self.secret:
            headers.update(signing.signed_headers(self.secret, body))
        return body, headers

    def deliver_due(self) -> int:
        """Tries every notification that is due once; returns how many were delivered."""
        if not self.url:
            return 0
        delivered = 0
        for notification in self.store.claim_due():
            body, headers = self.request(notification.id, notification.payload)
            try:
                response = self.session.post(
                    self.url, data=body, headers=headers, timeout=self.timeout
                )
                response.raise_for_status()
            except requests.RequestException as error:
                retry_in = backoff(notification.attempts + 1)
                self.store.mark_failed(notification.id, str(error), retry_in)
                logger.warning(
                    "Staff webhook failed for %s (%s); retrying in %.0f s",
                    notification.handoff_id,
                    type(error).__name__,
                    retry_in,
                )
                continue
            self.store.mark_delivered(notification.id)
            delivered += 1
            logger.info("Staff notified of %s (%s)", notification.handoff_id, notification.event)
        return delivered


class NotifierThread(threading.Thread):
    """In the background of the action server: replays spooled requests, delivers notifications."""

    def __init__(self, notifier: WebhookNotifier, interval: float = 1.0) -> None:
        super().__init__(name="handoff-notifier", daemon=True)
        self.notifier = notifier
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                spool.replay(self.notifier.store)
                self.notifier.deliver_due()
            except Exception:  # the loop must outlive a database hiccup
                logger.exception("Handoff notifier pass failed; will try again")

    def stop(self) -> None:
        self.stopped.set()


def notifier_from_env(store: HandoffStore) -> WebhookNotifier:
    url = settings().handoff_webhook_url
    secret = settings().handoff_webhook_secret
    if not url:
        logger.warning(
            "HANDOFF_WEBHOOK_URL is not set: handoff notifications are kept and will be "
            "sent once it is configured; staff can list requests with `make handoffs`."
        )
    elif not secret:
        logger.warning(
            "HANDOFF_WEBHOOK_SECRET is not set: staff notifications are sent unsigned, so "
            "the clinic's system cannot tell them from forged ones (docs/staff-webhook.md)."
        )
    elif len(secret) < signing.RECOMMENDED_SECRET_LENGTH:
        logger.warning(
            "HANDOFF_WEBHOOK_SECRET is shorter than %d characters: use a long random one.",
            signing.RECOMMENDED_SECRET_LENGTH,
        )
    return WebhookNotifier(store, url, secret=secret)
