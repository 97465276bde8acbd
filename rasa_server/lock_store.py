"""Rasa's Redis lock store, with each change to a conversation's ticket lock made atomic.

With several Rasa servers, the lock store makes the turns of one conversation
run one at a time. Rasa 3.6's RedisLockStore issues a ticket by reading the
conversation's lock, adding a ticket and writing it back, with nothing in
between: two turns of one conversation reaching two servers at the same
moment could both get ticket 0 and run together. The SQL tracker store then
saves only the events it does not count yet, so one turn's messages were
lost (tests/server/test_scale_out.py caught it). Here every read-modify-write of a
conversation's lock runs under a short Redis lock of its own.

In endpoints.yml: `lock_store: {type: rasa_server.lock_store.AtomicRedisLockStore, url: ...}`.
"""

from __future__ import annotations

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import LockError as RedisLockError
from redis.lock import Lock

# The guarded sections are a Redis read and write: milliseconds. The guard
# expires on its own if a server dies holding it.
GUARD_SECONDS = 10


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _guard(self, conversation_id: str) -> Lock:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:guard",
            timeout=GUARD_SECONDS,
            blocking_timeout=GUARD_SECONDS,
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._guard(conversation_id):
                return super().issue_ticket(conversation_id, lock_lifetime)
        except RedisLockError as error:
            raise LockError(f"Could not guard the lock of '{conversation_id}': {error}") from error

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._guard(conversation_id):
            super().cleanup(conversation_id, ticket_number)
