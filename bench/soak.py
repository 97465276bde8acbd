"""Soak test: many conversations at once over REST; nothing may be lost.

    python -m bench.soak --url http://localhost:5005/webhooks/rest/webhook \\
        --tracker-db var/data/trackers.db --conversations 200 --turns 5 --concurrency 20

Every reply must be 200 with a `custom` kind, and afterwards the tracker
store must hold every user message that was sent (counted in its database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from bench.latency import latency_summary
from core.contract import reply_kinds
from tools.evaluate_holdout import holdout_examples

TURN_TIMEOUT_SECONDS = 30


@dataclass
class SoakResult:
    conversations: int
    turns_per_conversation: int
    concurrency: int
    messages_sent: int = 0
    errors: int = 0
    replies_without_kind: int = 0
    user_messages_stored: int | None = None
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def messages_per_second(self) -> float:
        return self.messages_sent / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        if self.latencies_ms:
            data.update(latency_summary(self.latencies_ms))
        data["messages_per_second"] = round(self.messages_per_second, 1)
        data["seconds"] = round(self.seconds, 1)
        return data


def patient_messages() -> list[str]:
    """Realistic messages: the held-out topic and small-talk phrasings."""
    return [text for intent, text in holdout_examples() if intent != "out_of_scope"]


async def conversation(
    session: aiohttp.ClientSession, url: str, sender: str, turns: list[str], result: SoakResult
) -> None:
    for message in turns:
        started = time.perf_counter()
        result.messages_sent += 1
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as response:
                body = await response.json() if response.status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError):
            result.errors += 1
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if body is None:
            result.errors += 1
        elif not reply_kinds(body):
            result.replies_without_kind += 1


def count_user_messages(tracker_db_url: str, senders: list[str]) -> int:
    engine = create_engine(tracker_db_url)
    with engine.connect() as connection:
        total = 0
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            marks = ", ".join(f":s{i}" for i in range(len(chunk)))
            total += connection.execute(
                text(
                    "SELECT COUNT(*) FROM events "
                    f"WHERE type_name = 'user' AND sender_id IN ({marks})"
                ),
                {f"s{i}": s for i, s in enumerate(chunk)},
            ).scalar()
    return total


async def soak(
    url: str,
    conversations: int,
    turns: int,
    concurrency: int,
    tracker_db_url: str | None = None,
    seed: int = 7,
) -> SoakResult:
    rng = random.Random(seed)
    messages = patient_messages()
    result = SoakResult(conversations, turns, concurrency)
    senders = [f"soak-{uuid.uuid4()}" for _ in range(conversations)]
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)

    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(sender: str) -> None:
            async with gate:
                await conversation(session, url, sender, rng.sample(messages, turns), result)

        started = time.perf_counter()
        await asyncio.gather(*(one(sender) for sender in senders))
        result.seconds = time.perf_counter() - started
    if tracker_db_url:
        result.user_messages_stored = count_user_messages(tracker_db_url, senders)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    parser.add_argument("--tracker-db", type=Path, default=Path("var/data/trackers.db"))
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = asyncio.run(
        soak(
            args.url,
            args.conversations,
            args.turns,
            args.concurrency,
            f"sqlite:///{args.tracker_db}",
        )
    )
    summary = result.summary()
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2))
    ok = not result.errors and not result.replies_without_kind
    return 0 if ok and result.user_messages_stored == result.messages_sent else 1


if __name__ == "__main__":
    sys.exit(main())
