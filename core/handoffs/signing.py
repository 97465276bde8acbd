"""Signed staff notifications: a clinic's system can tell ours from forged ones.

Each notification POSTed to the staff webhook carries two headers:

- `X-Webhook-Timestamp`: when it was sent, in Unix seconds;
- `X-Webhook-Signature`: `v1=` and the hex HMAC-SHA256, keyed with
  `HANDOFF_WEBHOOK_SECRET`, of the timestamp, a dot and the raw request body.

A receiver recomputes the signature over the body exactly as received,
compares the two in constant time, and rejects a timestamp more than
`MAX_AGE_SECONDS` away from its own clock, so a captured notification cannot
be replayed later. docs/staff-webhook.md shows it in a few lines.

The HMAC is the standard library's (`hmac`, `hashlib`): no crypto of our own.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"
VERSION = "v1"
MAX_AGE_SECONDS = 300
# Shorter secrets are accepted, with a warning (core/handoffs/notifier.py).
RECOMMENDED_SECRET_LENGTH = 32


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`."""
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers that sign this body, sent now."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    now: float | None = None,
    max_age: float = MAX_AGE_SECONDS,
) -> bool:
    """True only for a body signed with this secret within `max_age` seconds of now."""
    if not timestamp_header or not signature_header or not timestamp_header.isdigit():
        return False
    timestamp = int(timestamp_header)
    if abs((time.time() if now is None else now) - timestamp) > max_age:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header)
