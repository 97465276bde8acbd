"""The rate limiter: its window, per conversation and per address, trusted proxies, off.

The counters run on a real SQLite database, as in a Rasa server without Redis;
the Redis counters and two replicas counting together: tests/server/test_scale_out.py.
Over HTTP, with emergencies let through: tests/server/test_rate_limits.py.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.rate_limit import (
    ADDRESS,
    CONVERSATION,
    COUNTERS_TABLE,
    Limits,
    RateLimiter,
    SqlCounters,
    client_address,
    parse_networks,
)
from core.settings import Settings


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


WINDOW_START = 1_800_000_000.0  # a multiple of 60: the window starts here


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")


@pytest.fixture
def clock() -> Clock:
    return Clock(WINDOW_START + 15)


def limiter(engine, clock, per_conversation=3, per_address=5, window=60) -> RateLimiter:
    return RateLimiter(
        Limits(per_conversation, per_address, window), SqlCounters(engine, clock=clock)
    )


def test_a_conversation_over_its_limit_is_refused_until_its_window_ends(engine, clock) -> None:
    limit = limiter(engine, clock)
    assert all(limit.check("c-1", "198.51.100.7").allowed for _ in range(3))
    clock.now += 10
    refused = limit.check("c-1", "198.51.100.7")
    assert not refused.allowed
    assert (refused.exceeded, refused.limit) == (CONVERSATION, 3)
    assert refused.retry_after == 35  # the window started 25 s ago
    assert limit.check("c-2", "198.51.100.7").allowed, "another conversation is not held back"
    clock.now = WINDOW_START + 60  # the next window
    assert limit.check("c-1", "198.51.100.7").allowed


def test_an_address_over_its_limit_is_refused_for_every_conversation(engine, clock) -> None:
    limit = limiter(engine, clock)
    assert all(limit.check(f"c-{n}", "198.51.100.7").allowed for n in range(5))
    refused = limit.check("c-new", "198.51.100.7")
    assert (refused.allowed, refused.exceeded, refused.limit) == (False, ADDRESS, 5)
    assert limit.check("c-new", "198.51.100.8").allowed, "another address is not held back"


def test_a_limit_of_zero_is_off(engine, clock) -> None:
    off = limiter(engine, clock, per_conversation=0, per_address=0)
    assert not off.limits.enabled
    assert all(off.check("c-1", "198.51.100.7").allowed for _ in range(50))
    with engine.connect() as connection:
        assert connection.execute(sa.text(f"SELECT count(*) FROM {COUNTERS_TABLE}")).scalar() == 0
    only_address = limiter(engine, clock, per_conversation=0, per_address=4)
    assert all(only_address.check("c-1", "198.51.100.7").allowed for _ in range(4))
    assert only_address.check("c-1", "198.51.100.7").exceeded == ADDRESS


def test_counters_are_shared_by_every_limiter_on_the_database(engine, clock) -> None:
    """Two Rasa servers (or Sanic workers) count together: the count is in the database."""
    one, other = limiter(engine, clock), limiter(engine, clock)
    assert one.check("c-1", "a").allowed and other.check("c-1", "a").allowed
    assert one.check("c-1", "a").allowed
    assert not other.check("c-1", "a").allowed


def test_simultaneous_messages_are_each_counted_once(engine, clock) -> None:
    counters = SqlCounters(engine, clock=clock)
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: counters.hit(["k"], 60)[0][0], range(40)))
    assert sorted(counts) == list(range(1, 41))


def test_counters_keep_no_conversation_id_or_address_and_old_windows_are_swept(
    engine, clock
) -> None:
    limit = limiter(engine, clock)
    limit.check("c-secret-id", "203.0.113.99")
    with engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT * FROM {COUNTERS_TABLE}")).all()
    assert len(rows) == 2
    assert "c-secret-id" not in json.dumps([list(r) for r in rows])
    assert "203.0.113.99" not in json.dumps([list(r) for r in rows])
    clock.now += 120
    limit.check("c-other", "203.0.113.100")  # the first message of a later window sweeps
    with engine.connect() as connection:
        assert connection.execute(sa.text(f"SELECT count(*) FROM {COUNTERS_TABLE}")).scalar() == 2


def test_counters_out_of_reach_let_the_patient_through() -> None:
    class Down:
        def hit(self, keys, window_seconds):
            raise ConnectionError("redis is down")

    assert RateLimiter(Limits(1, 1, 60), Down()).check("c-1", "a").allowed


def test_limits_must_be_zero_or_positive() -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_PER_ADDRESS"):
        Limits(30, -1, 60)
    with pytest.raises(ValueError, match="RATE_LIMIT_WINDOW_SECONDS"):
        Limits(30, 300, 0)


def test_the_limits_are_typed_from_the_environment() -> None:
    config = Settings.from_env(
        {
            "RATE_LIMIT_PER_CONVERSATION": "0",
            "RATE_LIMIT_PER_ADDRESS": "1000",
            "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,",
        }
    )
    assert (config.rate_limit_per_conversation, config.rate_limit_per_address) == (0, 1000)
    assert config.rate_limit_window_seconds == 60
    assert config.trusted_proxies == ("10.0.0.1", "192.168.0.0/16")
    defaults = Settings.from_env({})
    assert (defaults.rate_limit_per_conversation, defaults.rate_limit_per_address) == (30, 300)
    assert defaults.trusted_proxies == ()


PROXIES = parse_networks(["10.0.0.1", "192.168.0.0/16"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # No trusted proxy: the socket's peer, whatever the header says.
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),
        ("127.0.0.1", ["198.51.100.1"], "127.0.0.1"),
        # From a trusted proxy: the nearest hop that is not a trusted proxy.
        ("10.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.1", ["1.1.1.1, 198.51.100.1, 192.168.4.4"], "198.51.100.1"),
        ("10.0.0.1", ["1.1.1.1", "198.51.100.1"], "198.51.100.1"),  # two headers
        # A forged first hop is never believed: only what our proxies appended counts.
        ("10.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("10.0.0.1", ["not-an-address"], "10.0.0.1"),
        ("10.0.0.1", ["192.168.1.1"], "192.168.1.1"),  # only proxies: the farthest
        # IPv6 by its /64; an IPv4 address written as IPv6 is IPv4.
        ("2001:db8:1:2:aaaa::1", [], "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", [], "203.0.113.5"),
        ("", [], ""),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str, forwarded_for: list[str], client: str
) -> None:
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_a_bad_trusted_proxy_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks(["10.0.0.300"])
