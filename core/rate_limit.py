"""How many messages one conversation and one client address may send in a window.

Plain Python, no Rasa: the REST channel (`rasa_server/rest_channel.py`) asks
`RateLimiter.check` before it lets a message into the dialogue, and screens a
message that is over the limit for an emergency or a disclosure, which are
never refused.

A fixed window (`RATE_LIMIT_WINDOW_SECONDS`, a minute by default): each
message adds one to its conversation's counter and its address's counter for
the current window; past the limit, the message is refused until the window
ends. The counters live where every Rasa server sees them, never only in one
process's memory:
- `RedisCounters`: the Redis the lock store already uses, with several
  replicas. One Lua script counts both keys and reads Redis's own clock, so
  replicas whose clocks differ still share one window.
- `SqlCounters`: otherwise the tracker store's database, which every Rasa
  server must share anyway (the conversations are there), one upsert per key
  in one transaction.

Keys hold a SHA-256 of the conversation id or the address, never the value,
and a counter is gone one window after its own ends.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa

logger = logging.getLogger(__name__)

CONVERSATION = "conversation"
ADDRESS = "address"
# One household or clinic network with IPv6 gets a /64: counting the whole
# /64 as one address stops a client from rotating through its own addresses.
IPV6_PREFIX = 64
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Limits:
    """Messages allowed in one window; 0 turns a limit off."""

    per_conversation: int
    per_address: int
    window_seconds: int

    def __post_init__(self) -> None:
        for name, value in (
            ("RATE_LIMIT_PER_CONVERSATION", self.per_conversation),
            ("RATE_LIMIT_PER_ADDRESS", self.per_address),
        ):
            if value < 0:
                raise ValueError(f"{name} must be 0 (off) or a positive number, not {value}")
        if self.window_seconds <= 0:
            raise ValueError(
                f"RATE_LIMIT_WINDOW_SECONDS must be positive, not {self.window_seconds}"
            )

    @property
    def enabled(self) -> bool:
        return bool(self.per_conversation or self.per_address)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    exceeded: str | None = None  # CONVERSATION or ADDRESS, the limit that refused it
    limit: int = 0
    retry_after: int = 0  # whole seconds until the window that refused it ends


ALLOWED = Verdict(True)


class Counters(Protocol):
    def hit(self, keys: Sequence[str], window_seconds: int) -> tuple[list[int], float]:
        """Adds one to each key's counter in the current window.

        Returns the counts, this message included, and the seconds left in
        the window.
        """


def counter_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


class RateLimiter:
    def __init__(self, limits: Limits, counters: Counters) -> None:
        self.limits = limits
        self.counters = counters

    def check(self, conversation: str, address: str) -> Verdict:
        """Counts one message of `conversation` from `address`, and whether it may go on.

        A counter store that cannot be reached lets the message through: a
        patient's question matters more than the limit, and the failure is
        logged.
        """
        checked = [
            (kind, limit, counter_key(kind, value))
            for kind, limit, value in (
                (CONVERSATION, self.limits.per_conversation, conversation),
                (ADDRESS, self.limits.per_address, address),
            )
            if limit
        ]
        if not checked:
            return ALLOWED
        try:
            counts, seconds_left = self.counters.hit(
                [key for _, _, key in checked], self.limits.window_seconds
            )
        except Exception as error:  # Redis or the database is down: fail open
            logger.error("Rate-limit counters unavailable (%s); not limiting", type(error).__name__)
            return ALLOWED
        for (kind, limit, _), count in zip(checked, counts, strict=True):
            if count > limit:
                return Verdict(False, kind, limit, max(1, math.ceil(seconds_left)))
        return ALLOWED


# --- where the counters live -----------------------------------------------------------

# KEYS: the counters' keys without the window; ARGV[1]: the window in seconds.
# Redis's clock decides the window, so every replica agrees on it.
REDIS_SCRIPT = """
local now = redis.call('TIME')
local seconds = tonumber(now[1]) + tonumber(now[2]) / 1000000
local window = tonumber(ARGV[1])
local index = math.floor(seconds / window)
local counts = {}
for i, key in ipairs(KEYS) do
  local windowed = key .. ':' .. index
  counts[i] = redis.call('INCR', windowed)
  if counts[i] == 1 then
    redis.call('EXPIRE', windowed, window * 2)
  end
end
counts[#counts + 1] = tostring((index + 1) * window - seconds)
return counts
"""
REDIS_PREFIX = "ratelimit:"


class RedisCounters:
    """Counters in Redis: one script call counts every key of a message atomically."""

    def __init__(self, client: object, prefix: str = REDIS_PREFIX) -> None:
        self.prefix = prefix
        self.script = client.register_script(REDIS_SCRIPT)  # type: ignore[attr-defined]

    def hit(self, keys: Sequence[str], window_seconds: int) -> tuple[list[int], float]:
        *counts, seconds_left = self.script(
            keys=[self.prefix + key for key in keys], args=[window_seconds]
        )
        return [int(count) for count in counts], float(seconds_left)


COUNTERS_TABLE = "rate_limit_counters"
metadata = sa.MetaData()
counters_table = sa.Table(
    COUNTERS_TABLE,
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)
# One statement that PostgreSQL and SQLite (3.35 or later) both run atomically:
# the row is created, counted on, or restarted at 1 when its window is over.
UPSERT = sa.text(
    f"INSERT INTO {COUNTERS_TABLE} (key, window_start, count) VALUES (:key, :window_start, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    f"count = CASE WHEN {COUNTERS_TABLE}.window_start = excluded.window_start "
    f"THEN {COUNTERS_TABLE}.count + 1 ELSE 1 END, "
    "window_start = excluded.window_start "
    "RETURNING count"
)
SUPPORTED_DIALECTS = {"sqlite", "postgresql"}


class SqlCounters:
    """Counters in a SQL table, one row a key; rows of past windows are deleted as it goes.

    The window is this machine's clock: replicas keep their clocks in sync
    (NTP), as the tracker store's timestamps already assume.
    """

    def __init__(self, engine: sa.engine.Engine, clock: Callable[[], float] = time.time) -> None:
        if engine.dialect.name not in SUPPORTED_DIALECTS:
            raise ValueError(
                f"rate-limit counters need PostgreSQL or SQLite, not {engine.dialect.name}"
            )
        self.engine = engine
        self.clock = clock
        self._swept_window = -1
        self._sweep_lock = threading.Lock()
        try:
            metadata.create_all(engine, checkfirst=True)
        except sa.exc.DBAPIError:
            # Another replica created it at the same moment: fine if it is there now.
            if not sa.inspect(engine).has_table(COUNTERS_TABLE):
                raise

    def hit(self, keys: Sequence[str], window_seconds: int) -> tuple[list[int], float]:
        now = self.clock()
        window_start = int(now // window_seconds) * window_seconds
        with self.engine.begin() as connection:
            counts = [
                connection.execute(UPSERT, {"key": key, "window_start": window_start}).scalar_one()
                for key in keys
            ]
            if self._first_in(window_start):
                connection.execute(
                    counters_table.delete().where(counters_table.c.window_start < window_start)
                )
        return counts, window_start + window_seconds - now

    def _first_in(self, window_start: int) -> bool:
        """Whether this is this process's first message in the window: time to sweep."""
        with self._sweep_lock:
            first = window_start > self._swept_window
            self._swept_window = max(self._swept_window, window_start)
            return first


# --- the client's address ----------------------------------------------------------------


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES`: addresses or networks (`10.0.0.0/8`); an error names a bad one."""
    networks = []
    for value in filter(None, (value.strip() for value in values)):
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES: {value!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network] = ()) -> str:
    """The address a message is counted against.

    The socket's peer, unless the peer is a trusted proxy: then the
    X-Forwarded-For chain is read from the right (the hop nearest to us),
    skipping trusted proxies, and the first address not trusted is the
    client. A hop that is not an address stops the walk at the proxy that
    passed it on. IPv6 clients are counted by their /64.
    """
    current = _address(peer)
    if current is None:
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while any(current in network for network in trusted) and hops:
        hop = _address(hops.pop())
        if hop is None:
            break
        current = hop
    if isinstance(current, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{current}/{IPV6_PREFIX}", strict=False))
    return str(current)
