"""A reduced soak test. The full one (200 conversations, 5 turns, 20 at once): make bench."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import soak

pytestmark = pytest.mark.server


async def test_concurrent_conversations_lose_nothing(assistant: str, tracker_db: Path) -> None:
    result = await soak(assistant, conversations=40, turns=5, concurrency=10,
                        tracker_db_url=f"sqlite:///{tracker_db}")  # fmt: skip
    assert result.errors == 0, result.summary()
    assert result.replies_without_kind == 0, result.summary()
    assert result.user_messages_stored == result.messages_sent == 200, result.summary()
