"""A local, append-only spool for handoff requests the database could not take.

When the handoff database is unreachable (or the action server is down and
the REST channel has to record the request itself), the request is appended
to `var/spool/handoffs.jsonl` and flushed to disk before the patient is told
it was received. The action server's background loop replays the spool into
the database as soon as it is reachable again; replay is idempotent, since
the store keeps one request per (conversation, triggering message).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.handoffs.store import HandoffStore, check_language
from core.languages import ENGLISH
from core.settings import settings

logger = logging.getLogger(__name__)

FIELDS = (
    "conversation_id",
    "reason",
    "trigger_message",
    "trigger_key",
    "conditions",
    "transcript",
    "language",  # the patient's, `en` or `es`; a record spooled before it was kept is `en`
    "callback",  # optional: the patient's callback answer, applied after the request
)


def spool_path() -> Path:
    return settings().handoff_spool


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer or replayer at a time, across processes on this machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def spool(request: dict[str, Any], path: Path | None = None) -> str:
    """Appends a request durably; returns the provisional id the patient is given.

    The request's `language` (`en` when it has none) is checked first: a
    record the store would refuse would wait in the spool forever.
    """
    path = path or spool_path()
    record = {field: request.get(field) for field in FIELDS}
    record["language"] = check_language(record["language"] or ENGLISH)
    record["provisional_id"] = f"h-pending-{uuid.uuid4().hex[:8]}"
    with _locked(path), open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")
        file.flush()
        os.fsync(file.fileno())
    logger.warning("Handoff %s spooled until the database is reachable", record["provisional_id"])
    return record["provisional_id"]


def pending(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or spool_path()
    if not path.exists():
        return []
    with _locked(path):
        lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def replay(store: HandoffStore, path: Path | None = None) -> int:
    """Moves spooled requests into the store; keeps whatever still fails. Returns how many moved."""
    path = path or spool_path()
    if not path.exists():
        return 0
    moved = 0
    with _locked(path):
        records = [
            json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        kept = []
        for record in records:
            try:
                handoff = store.create(
                    conversation_id=record["conversation_id"],
                    reason=record["reason"],
                    trigger_message=record["trigger_message"],
                    trigger_key=record["trigger_key"],
                    conditions=record.get("conditions") or [],
                    transcript=record.get("transcript") or [],
                    language=record.get("language") or ENGLISH,
                )
                callback = record.get("callback")
                if callback:
                    details = {k: callback.get(k) for k in ("name", "phone", "email", "best_time")}
                    store.record_callback(handoff.id, callback["status"], **details)
            except Exception as error:  # the database may still be down: keep it
                logger.warning("Spooled handoff not replayed yet (%s)", type(error).__name__)
                kept.append(record)
                continue
            moved += 1
            logger.info("Spooled handoff %s stored as %s", record["provisional_id"], handoff.id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        os.replace(temporary, path)
    return moved


def forget(conversation_id: str, path: Path | None = None) -> int:
    """Removes a conversation's spooled requests (a patient's deletion request)."""
    path = path or spool_path()
    if not path.exists():
        return 0
    with _locked(path):
        records = [
            json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        kept = [r for r in records if r["conversation_id"] != conversation_id]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    return len(records) - len(kept)
