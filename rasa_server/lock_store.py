"""Rasa's Redis lock store, with each change to a conversation's ticket lock made atomic.

With several Rasa servers, the lock store makes the turns of one conversation
run one at a time. Rasa 3.6's RedisLockStore issues a ticket by reading the
conversation's lock, adding a ticket and writing it back, with nothing in
between: two turns of one conversation reaching two servers at the same
moment could both get ticket 0 and run together. The SQL tracker store then
saves only the events it does not count yet, so one turn's messages were
lost (tests/server/test_scale_out.py caught it).

Here issuing a ticket, giving it back and dropping the expired ones are each
one Lua script, which Redis runs atomically: one round trip each, where a
read-modify-write under a guard lock took four (they are synchronous calls on
the server's event loop). The scripts do what Rasa's `TicketLock` does
(`rasa/core/lock.py`) and store the lock in its format, so Rasa's own
`get_lock` reads it while a turn waits.

In endpoints.yml: `lock_store: {type: rasa_server.lock_store.AtomicRedisLockStore, url: ...}`.
"""

from __future__ import annotations

import time

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

# The lock is {"conversation_id", "tickets": [<JSON of {"number", "expires"}>, ...]},
# as TicketLock.dumps writes it. A ticket has expired once `now` is past its
# `expires` (Ticket.has_expired); `now` is the caller's clock, as in Rasa.
_UNEXPIRED = """
local function unexpired(raw, now)
  local kept = {}
  if raw then
    for _, text in ipairs(cjson.decode(raw)["tickets"] or {}) do
      local ticket = cjson.decode(text)
      if ticket["expires"] >= now then
        table.insert(kept, {text = text, number = ticket["number"]})
      end
    end
  end
  return kept
end
"""

# KEYS[1] the lock; ARGV: now, lifetime, conversation id. Returns the new
# ticket's number: one more than the last unexpired ticket's, or 0.
ISSUE_TICKET = (
    _UNEXPIRED
    + """
local now = tonumber(ARGV[1])
local kept = unexpired(redis.call("GET", KEYS[1]), now)
local number = 0
if #kept > 0 then number = kept[#kept].number + 1 end
local tickets = {}
for _, ticket in ipairs(kept) do table.insert(tickets, ticket.text) end
table.insert(tickets, cjson.encode({number = number, expires = now + tonumber(ARGV[2])}))
redis.call("SET", KEYS[1], cjson.encode({conversation_id = ARGV[3], tickets = tickets}))
return number
"""
)

# KEYS[1] the lock; ARGV: now, conversation id, a ticket's number to drop (""
# for none), and "delete" to delete a lock left with no ticket. Drops that
# ticket and the expired ones. Giving a ticket back drops it and deletes an
# empty lock (Rasa's cleanup); between a waiting turn's tries only the expired
# ones go and the lock stays (Rasa's update_lock).
DROP_TICKETS = (
    _UNEXPIRED
    + """
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local tickets = {}
for _, ticket in ipairs(unexpired(raw, tonumber(ARGV[1]))) do
  if ticket.number ~= tonumber(ARGV[3]) then table.insert(tickets, ticket.text) end
end
if #tickets == 0 and ARGV[4] == "delete" then
  redis.call("DEL", KEYS[1])
else
  redis.call("SET", KEYS[1], cjson.encode({conversation_id = ARGV[2], tickets = tickets}))
end
return #tickets
"""
)


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self._issue = self.red.register_script(ISSUE_TICKET)
        self._drop = self.red.register_script(DROP_TICKETS)

    def _key(self, conversation_id: str) -> str:
        """The Redis key of a conversation's lock, as Rasa's own lock store names it."""
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        key = self._key(conversation_id)
        try:
            return int(self._issue(keys=[key], args=[time.time(), lock_lifetime, conversation_id]))
        except RedisError as error:
            raise LockError(f"Could not issue a ticket for '{conversation_id}': {error}") from error

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._drop(
            keys=[self._key(conversation_id)],
            args=[time.time(), conversation_id, ticket_number, "delete"],
        )

    def update_lock(self, conversation_id: str) -> None:
        self._drop(
            keys=[self._key(conversation_id)], args=[time.time(), conversation_id, "", "keep"]
        )
