"""Scores the held-out NLU set end to end, through a running assistant's REST channel.

Each message goes to a fresh conversation; what counts is the `custom` item
the patient's reply carries (shared/api-contract.md), not the raw intent.

    python -m tools.evaluate_holdout --url http://localhost:5005/webhooks/rest/webhook
    python -m tools.evaluate_holdout --set tests/data/nlu_holdout_es.yml --url ...   # Spanish
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from core.settings import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "data" / "nlu_holdout.yml"
HOLDOUT_ES = PROJECT_ROOT / "tests" / "data" / "nlu_holdout_es.yml"
TRAINING_DATA = PROJECT_ROOT / "data"
SMALLTALK = {"greet", "goodbye", "thank", "bot_challenge"}


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs of a Rasa NLU YAML file, entity markup removed."""
    pairs = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" not in block:
            continue  # lookup tables, synonyms
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", line[2:])
                pairs.append((block["intent"], text))
    return pairs


def holdout_examples(path: Path = HOLDOUT) -> list[tuple[str, str]]:
    return nlu_examples(path)


def training_examples(data: Path = TRAINING_DATA) -> list[tuple[str, str]]:
    """(intent, text) pairs of every NLU file under data/, as `rasa train` finds them."""
    return [
        pair
        for path in sorted(data.rglob("*.yml"))
        if "nlu" in yaml.safe_load(path.read_text(encoding="utf-8"))
        for pair in nlu_examples(path)
    ]


def reply_kind(items: list[dict]) -> tuple[str, str | None]:
    """The first custom item's kind, and its topic or act."""
    for item in items:
        custom = item.get("custom")
        if isinstance(custom, dict) and "kind" in custom:
            return custom["kind"], custom.get("topic") or custom.get("act")
    return "none", None


@dataclass
class Score:
    topic_total: int = 0
    topic_right: int = 0
    topic_clarified_with_right_option: int = 0
    out_of_scope_total: int = 0
    out_of_scope_fallback: int = 0
    smalltalk_total: int = 0
    smalltalk_right: int = 0
    # Per topic: [right, total].
    per_topic: dict[str, list[int]] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)
    confusions: Counter = field(default_factory=Counter)

    @property
    def topic_accuracy(self) -> float:
        return self.topic_right / self.topic_total if self.topic_total else 0.0

    @property
    def out_of_scope_fallback_rate(self) -> float:
        return (
            self.out_of_scope_fallback / self.out_of_scope_total if self.out_of_scope_total else 0.0
        )

    def as_dict(self) -> dict:
        return {
            "topic_accuracy": round(self.topic_accuracy, 4),
            "topic_right": self.topic_right,
            "topic_total": self.topic_total,
            "topic_clarified_with_right_option": self.topic_clarified_with_right_option,
            "out_of_scope_fallback_rate": round(self.out_of_scope_fallback_rate, 4),
            "out_of_scope_fallback": self.out_of_scope_fallback,
            "out_of_scope_total": self.out_of_scope_total,
            "smalltalk_right": self.smalltalk_right,
            "smalltalk_total": self.smalltalk_total,
            "per_topic": {
                topic: {"right": right, "total": total}
                for topic, (right, total) in sorted(self.per_topic.items())
            },
            "most_confused": [
                {"expected": e, "got": g, "count": n}
                for (e, g), n in self.confusions.most_common(10)
            ],
            "misses": self.misses,
        }


class RateLimited(RuntimeError):
    pass


RATE_LIMITED_HINT = (
    "the assistant refused a message with 429 (its rate limits): an evaluation sends hundreds "
    "of messages a minute from this machine, so start the assistant with "
    "`python -m tools.run_assistant --no-rate-limits` (README, Rate limits)"
)


def ask(url: str, text: str, sender: str | None = None) -> list[dict]:
    """The reply to one message: in a new conversation, unless `sender` names one."""
    response = requests.post(
        url, json={"sender": sender or f"eval-{uuid.uuid4()}", "message": text}, timeout=30
    )
    if response.status_code == 429:
        raise RateLimited(RATE_LIMITED_HINT)
    response.raise_for_status()
    return response.json()


def evaluate(url: str, examples: list[tuple[str, str]], workers: int = 4) -> Score:
    with ThreadPoolExecutor(workers) as pool:
        replies = list(pool.map(lambda pair: ask(url, pair[1]), examples))
    score = Score()
    for (expected, text), items in zip(examples, replies, strict=True):
        kind, detail = reply_kind(items)
        if expected == "out_of_scope":
            score.out_of_scope_total += 1
            right = kind == "fallback"
            score.out_of_scope_fallback += right
        elif expected in SMALLTALK:
            score.smalltalk_total += 1
            right = (kind, detail) == ("smalltalk", expected)
            score.smalltalk_right += right
        else:
            score.topic_total += 1
            right = (kind, detail) == ("answer", expected)
            score.topic_right += right
            tally = score.per_topic.setdefault(expected, [0, 0])
            tally[0] += right
            tally[1] += 1
            if kind == "clarify":
                options = next(i["custom"]["options"] for i in items if i.get("custom"))
                score.topic_clarified_with_right_option += expected in options
        if not right:
            got = f"{kind}:{detail}" if detail else kind
            score.misses.append({"text": text, "expected": expected, "got": got})
            score.confusions[(expected, got)] += 1
    return score


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    parser.add_argument("--out", type=Path, help="write the full report as JSON here")
    parser.add_argument("--set", type=Path, default=HOLDOUT, help="the held-out set to score")
    args = parser.parse_args()
    try:
        score = evaluate(args.url, holdout_examples(args.set))
    except RateLimited as error:
        print(f"Stopped: {error}", file=sys.stderr)
        return 2
    report = score.as_dict()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "misses"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
