"""Signed staff notifications (core/handoffs/signing.py), checked as a clinic's receiver would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from core.handoffs import signing
from core.handoffs.notifier import WebhookNotifier
from core.handoffs.store import HandoffStore
from tests.staff_webhook import StaffWebhook

SECRET = "a-long-random-secret-shared-with-the-clinic-1234"


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver written from docs/staff-webhook.md alone, not with our signing module."""
    timestamp = headers.get("X-Webhook-Timestamp", "")
    signature = headers.get("X-Webhook-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("v1=" + expected.hexdigest(), signature)


@pytest.fixture
def webhook() -> StaffWebhook:
    hook = StaffWebhook()
    hook.up = True
    return hook


def test_a_real_notification_is_signed_and_a_receiver_verifies_it(
    tmp_path, webhook: StaffWebhook
) -> None:
    store = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}")
    store.create("c-1", "contraindication", "I have schizophrenia", "msg-1", ("psychosis",))
    assert WebhookNotifier(store, webhook.url, secret=SECRET).deliver_due() == 1
    [(headers, body)] = webhook.raw
    assert receiver_accepts(SECRET, headers, body)
    assert json.loads(body) == webhook.received[0]
    assert not receiver_accepts("another-secret-another-secret-1234", headers, body)
    forged = body.replace(b"psychosis", b"ptsd")
    assert not receiver_accepts(SECRET, headers, forged)


def test_without_a_secret_a_notification_is_unsigned(tmp_path, webhook: StaffWebhook) -> None:
    store = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}")
    store.create("c-1", "user_request", "can I talk to someone", "msg-1")
    WebhookNotifier(store, webhook.url).deliver_due()
    [(headers, _)] = webhook.raw
    assert signing.SIGNATURE_HEADER not in headers


def test_verify_accepts_only_the_same_body_secret_and_a_fresh_timestamp() -> None:
    body = b'{"event":"handoff.created"}'
    now = 1_800_000_000
    headers = signing.signed_headers(SECRET, body, now=now)
    stamp, sig = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert signing.verify(SECRET, body, stamp, sig, now=now + 299)
    assert not signing.verify(SECRET, body, stamp, sig, now=now + 301)  # a replay, later
    assert not signing.verify(SECRET, body, stamp, sig, now=now - 301)  # from the future
    assert not signing.verify(SECRET, body + b" ", stamp, sig, now=now)
    assert not signing.verify("not-the-secret", body, stamp, sig, now=now)
    assert not signing.verify(SECRET, body, str(now + 1), sig, now=now)  # timestamp changed
    assert not signing.verify(SECRET, body, "soon", sig, now=now)
    assert not signing.verify(SECRET, body, None, sig, now=now)
    assert not signing.verify(SECRET, body, stamp, None, now=now)
