"""What the rate limiter costs a message (bench/NOTES.md, "Rate limits").

    python -m bench.rate_limit

1. In this process: `RateLimiter.check` (both counters) on a SQLite file, as
   a Rasa server without Redis counts, and on a throwaway Redis.
2. What a message over the limit costs before it is refused: the safety
   screen, and NLU when the screen finds nothing.
3. Over HTTP, against a Rasa server of its own (1 message a conversation):
   the reply time of an answered message and of a refused one (429).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
import sqlalchemy as sa

from core.rate_limit import Limits, RateLimiter, RedisCounters, SqlCounters
from core.safety.screen import default_screen
from tools.evaluate_holdout import holdout_examples
from tools.processes import (
    action_server,
    free_port,
    rasa_server,
    redis_server,
    tracker_store_config,
)

LIMITS = Limits(per_conversation=10**9, per_address=10**9, window_seconds=60)


def per_call_ms(call: Callable[[int], object], count: int) -> dict[str, float]:
    times = []
    for n in range(count):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(len(times) * 0.95)], 3),
    }


def counters(work: Path, count: int) -> dict[str, dict[str, float]]:
    results = {}
    engine = sa.create_engine(f"sqlite:///{work / 'trackers.db'}")
    sqlite = RateLimiter(LIMITS, SqlCounters(engine))
    results["check_sqlite"] = per_call_ms(lambda n: sqlite.check(f"c-{n % 50}", "a"), count)
    import redis

    with redis_server(work) as url:
        in_redis = RateLimiter(LIMITS, RedisCounters(redis.Redis.from_url(url)))
        results["check_redis"] = per_call_ms(lambda n: in_redis.check(f"c-{n % 50}", "a"), count)
    return results


def screening(messages: list[str]) -> dict[str, float]:
    screen = default_screen()
    return per_call_ms(lambda n: screen.screen(messages[n % len(messages)]), len(messages))


def over_http(work: Path, messages: list[str]) -> dict[str, dict[str, float]]:
    rasa_port, action_port = free_port(), free_port()
    env = {
        "HANDOFF_DB_URL": f"sqlite:///{work / 'handoffs.db'}",
        "HANDOFF_SPOOL": str(work / "spool.jsonl"),
    }
    actions = action_server(action_port, log_path=work / "actions.log", **env)
    rasa = rasa_server(
        rasa_port, action_port, log_path=work / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=work / "trackers-http.db"),
        RATE_LIMIT_PER_CONVERSATION="1", RATE_LIMIT_PER_ADDRESS="0",
        RATE_LIMIT_WINDOW_SECONDS="3600", **env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    actions.start()
    rasa.start()
    try:
        actions.wait_ready(60)
        rasa.wait_ready(180)
        answered, refused = [], []
        for text in messages:
            sender = f"bench-{uuid.uuid4()}"
            for times in (answered, refused):  # the second message is over the limit
                started = time.perf_counter()
                reply = requests.post(url, json={"sender": sender, "message": text}, timeout=30)
                times.append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 429, reply.status_code
        return {
            "answered_ms": {"p50_ms": round(statistics.median(answered), 1)},
            "refused_429_ms": {"p50_ms": round(statistics.median(refused), 1)},
        }
    finally:
        rasa.stop()
        actions.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="checks per counter store")
    parser.add_argument("--http-messages", type=int, default=60)
    args = parser.parse_args()
    messages = [text for intent, text in holdout_examples() if intent != "out_of_scope"]
    with tempfile.TemporaryDirectory() as work:
        results = {
            **counters(Path(work), args.count),
            "screen": screening(messages),
            **over_http(Path(work), messages[: args.http_messages]),
        }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
