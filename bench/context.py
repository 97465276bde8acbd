"""What reading two-part questions and follow-ups costs: REST latency by kind of message.

A message with several questions is also read question by question, and a
message right after an answer is read again with that answer's title in
front (rasa_server/context_components.py): each is one more pass through the
NLU pipeline. This bench times, against a running assistant, the reply to

- `single`: one question, first in its conversation (no extra reading);
- `two_part`: two questions in one message (two extra readings);
- `story`: one question after two sentences of story (its statements and
  its question read as parts, and the question read alone);
- `follow_up`: a short follow-up right after an answer (one extra reading);
- `after_answer`: a whole new question right after an answer (one extra
  reading, answered on its own).

    python -m bench.context --out bench/results/context.json   # `make run` first

Run it on a quiet machine: the figures move with whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import requests

from bench.latency import latency_summary

SINGLE = "what are the side effects of ketamine"
TWO_PART = "how much does it cost and does insurance pay for it?"
STORY = "My back has hurt for years. My doctor brought up ketamine. What are the side effects?"
FIRST = "what are the side effects of ketamine"
FOLLOW_UP = "are they permanent?"
NEW_QUESTION = "how long does a session take"


def timed(url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    response = requests.post(url, json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def measure(url: str, rounds: int) -> dict[str, dict[str, float]]:
    kinds = ("single", "two_part", "story", "follow_up", "after_answer")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(rounds):
        times["single"].append(timed(url, f"bench-{uuid.uuid4()}", SINGLE))
        times["two_part"].append(timed(url, f"bench-{uuid.uuid4()}", TWO_PART))
        times["story"].append(timed(url, f"bench-{uuid.uuid4()}", STORY))
        sender = f"bench-{uuid.uuid4()}"
        timed(url, sender, FIRST)
        times["follow_up"].append(timed(url, sender, FOLLOW_UP))
        sender = f"bench-{uuid.uuid4()}"
        timed(url, sender, FIRST)
        times["after_answer"].append(timed(url, sender, NEW_QUESTION))
    return {kind: latency_summary(values) for kind, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for _ in range(10):  # warm up
        timed(args.url, f"bench-{uuid.uuid4()}", SINGLE)
    report = {"rounds": args.rounds, "latency": measure(args.url, args.rounds)}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
