"""The Redis lock store's scripts against a real Redis: Rasa's ticket rules, atomically."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_server.lock_store import AtomicRedisLockStore
from tools.processes import lock_store_config, redis_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(Path(tmp_path_factory.mktemp("redis"))) as url:
        yield url


@pytest.fixture
def store(redis_url: str) -> AtomicRedisLockStore:
    made = LockStore.create(EndpointConfig.from_dict(lock_store_config(redis_url)))
    assert isinstance(made, AtomicRedisLockStore)
    made.red.flushdb()
    return made


def test_tickets_are_numbered_in_order_and_rasa_reads_the_lock(store: AtomicRedisLockStore) -> None:
    assert [store.issue_ticket("c1") for _ in range(3)] == [0, 1, 2]
    lock = store.get_lock("c1")  # Rasa's own reading of what the script wrote
    assert lock is not None and lock.conversation_id == "c1"
    assert [t.number for t in lock.tickets] == [0, 1, 2]
    assert lock.now_serving == 0 and lock.is_locked(1) and not lock.is_locked(0)
    assert all(t.expires > time.time() + 50 for t in lock.tickets)  # the 60 s lifetime


def test_returning_tickets_serves_the_next_and_deletes_the_empty_lock(
    store: AtomicRedisLockStore,
) -> None:
    for _ in range(3):
        store.issue_ticket("c2")
    store.cleanup("c2", 0)
    assert store.get_lock("c2").now_serving == 1
    store.cleanup("c2", 2)  # out of order: the turn in the middle still waits
    assert [t.number for t in store.get_lock("c2").tickets] == [1]
    store.cleanup("c2", 1)
    assert store.get_lock("c2") is None
    assert not store.red.exists(store.key_prefix + "c2")
    store.cleanup("c2", 7)  # no lock at all: nothing happens
    assert store.issue_ticket("c2") == 0  # a new lock starts again at 0


def test_expired_tickets_are_dropped_as_rasa_drops_them(store: AtomicRedisLockStore) -> None:
    key = store.key_prefix + "c3"
    expired = json.dumps({"number": 4, "expires": time.time() - 1})
    alive = json.dumps({"number": 5, "expires": time.time() + 60})
    store.red.set(key, json.dumps({"conversation_id": "c3", "tickets": [expired, alive]}))
    store.update_lock("c3")
    assert [t.number for t in store.get_lock("c3").tickets] == [5]
    store.red.set(key, json.dumps({"conversation_id": "c3", "tickets": [expired]}))
    store.update_lock("c3")  # as in Rasa, the lock stays, with no ticket
    emptied = store.get_lock("c3")
    assert emptied is not None and not emptied.tickets and emptied.now_serving == 0
    store.red.set(key, json.dumps({"conversation_id": "c3", "tickets": [expired]}))
    assert store.issue_ticket("c3") == 0  # only expired tickets: numbering starts over


def test_turns_of_one_conversation_never_share_a_ticket(store: AtomicRedisLockStore) -> None:
    """Many servers at once: every ticket issued exactly once (Rasa's own store fails this)."""
    with ThreadPoolExecutor(16) as pool:
        numbers = list(pool.map(lambda _: store.issue_ticket("c4"), range(200)))
    assert sorted(numbers) == list(range(200))


def test_the_lock_lets_turns_run_one_at_a_time(store: AtomicRedisLockStore) -> None:
    order: list[str] = []

    async def turn(name: str, pause: float) -> None:
        async with store.lock("c5", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    async def both() -> None:
        first = asyncio.create_task(turn("first", 0.2))
        await asyncio.sleep(0.05)
        await turn("second", 0)
        await first

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock("c5") is None
