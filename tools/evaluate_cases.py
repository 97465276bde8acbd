"""Scores a set of labelled patient messages end to end, through a running assistant.

A case file holds `cases: [{text, expect}]`, where `expect` is one of
`emergency:<category>`, `handoff:<condition>`, `no_handoff`, `no_alarm`,
`topic:<id>`, `topics:<id>,<id>[,...]` (a message with several questions),
`smalltalk:<act>` or `out_of_scope`. A case may instead be a conversation, `{turns: [{text,
expect}, ...]}`, whose turns go one after the other to the same conversation.
Each case goes to a fresh conversation; what counts is the machine-readable
`custom` items of the reply (shared/api-contract.md):

- an emergency is caught when the reply has an `emergency` item, and its
  category is right when that item's category is the one expected;
- a disclosure is caught when the reply has a contraindication `handoff`
  item (a `confirm` question is counted apart: it is not a handoff yet);
- every other message is a false alarm when its reply has an `emergency` or
  a `handoff` item;
- an out-of-scope message is right when the reply is a `fallback`, a topic
  question when the reply answers that topic (a second answer to a one-topic
  question is counted apart, as an extra answer);
- a message with several questions is right when the reply answers the first
  two in the order asked, and offers the others (a `clarify` item);
- small talk is right when the reply is a `smalltalk` item with that act;
- in a conversation, each turn after the first is a follow-up turn, right
  when its reply is what that turn expects; the first turn is scored like a
  single message;
- with `--language es`, a reply is in the patient's language when every one
  of its `custom` items says `"language": "es"`.

    python -m tools.evaluate_cases tests/data/blind/*.yml --url http://localhost:5005/webhooks/rest/webhook
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.evaluate_holdout import RateLimited, ask

EXPECT_KINDS = (
    "emergency",
    "handoff",
    "no_handoff",
    "no_alarm",
    "topic",
    "topics",
    "out_of_scope",
    "smalltalk",
)
# A message with more questions gets this many answers; the rest are offered.
ANSWERED_PARTS = 2


@dataclass(frozen=True)
class Case:
    text: str
    expect: str
    source: str

    @property
    def kind(self) -> str:
        return self.expect.split(":", 1)[0]

    @property
    def detail(self) -> str | None:
        return self.expect.split(":", 1)[1] if ":" in self.expect else None


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Case, ...]
    source: str


def _case(path: Path, entry: dict) -> Case:
    case = Case(str(entry["text"]), str(entry["expect"]), path.name)
    if case.kind not in EXPECT_KINDS:
        raise ValueError(f"{path}: {case.text!r}: unknown expect {case.expect!r}")
    return case


def load_all(*paths: Path) -> list[Case | Conversation]:
    """The cases of the files, single messages and conversations, in order."""
    cases: list[Case | Conversation] = []
    for path in paths:
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            if "turns" in entry:
                turns = tuple(_case(path, turn) for turn in entry["turns"])
                cases.append(Conversation(turns, path.name))
            else:
                cases.append(_case(path, entry))
    return cases


def load_cases(*paths: Path) -> list[Case]:
    """The single-message cases of the files (conversations left out)."""
    return [case for case in load_all(*paths) if isinstance(case, Case)]


def customs(items: list[dict]) -> list[dict]:
    return [i["custom"] for i in items if isinstance(i.get("custom"), dict)]


def answered_topics(items: list[dict]) -> list[str]:
    return [c.get("topic") for c in customs(items) if c.get("kind") == "answer"]


def offered_topics(items: list[dict]) -> list[str]:
    return [o for c in customs(items) if c.get("kind") == "clarify" for o in c.get("options") or []]


def outcome(items: list[dict]) -> str:
    """What the reply did, in the same words as `expect`."""
    found = customs(items)
    for custom in found:
        if custom.get("kind") == "emergency":
            return f"emergency:{custom.get('category')}"
    for custom in found:
        if custom.get("kind") == "handoff":
            conditions = ",".join(custom.get("conditions") or []) or custom.get("reason")
            return f"handoff:{conditions}"
    if not found:
        return "none"
    first = found[0]
    detail = first.get("topic") or first.get("act") or first.get("about")
    return f"{first['kind']}:{detail}" if detail else first["kind"]


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, right: bool) -> None:
        self.total += 1
        self.right += right

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0

    def as_dict(self) -> dict:
        return {"rate": round(self.rate, 4), "right": self.right, "total": self.total}


@dataclass
class Report:
    emergency_recall: Tally = field(default_factory=Tally)
    emergency_category: Tally = field(default_factory=Tally)
    disclosure_recall: Tally = field(default_factory=Tally)
    disclosure_confirmed: int = 0  # asked `confirm` instead of handing off
    false_alarms: Tally = field(default_factory=Tally)  # right = raised an alarm
    out_of_scope: Tally = field(default_factory=Tally)
    smalltalk: Tally = field(default_factory=Tally)
    topics: Tally = field(default_factory=Tally)
    extra_answers: int = 0  # a one-topic question answered with a second topic too
    two_part: Tally = field(default_factory=Tally)
    follow_up_turns: Tally = field(default_factory=Tally)
    conversations: Tally = field(default_factory=Tally)  # right = every turn right
    in_language: Tally = field(default_factory=Tally)  # with --language: every item in it
    per_topic: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[dict] = field(default_factory=list)
    confusions: Counter = field(default_factory=Counter)

    def add_parts(self, case: Case, items: list[dict]) -> bool:
        """A message with several questions: the first two answered in order, the rest offered."""
        expected = (case.detail or "").split(",")
        answered = answered_topics(items)
        right = answered == expected[:ANSWERED_PARTS] and set(expected[ANSWERED_PARTS:]) <= set(
            offered_topics(items)
        )
        self.two_part.add(right)
        if not right:
            got = "answers:" + ",".join(answered) + " offered:" + ",".join(offered_topics(items))
            self.misses.append({"text": case.text, "expected": case.expect, "got": got})
        return right

    def add_turn(self, case: Case, items: list[dict]) -> bool:
        """A follow-up turn of a conversation."""
        got = outcome(items)
        if case.kind == "handoff":
            right = got.startswith("handoff:")
        elif case.kind == "topic":
            right = got == f"answer:{case.detail}"
        else:
            right = got == case.expect
        self.follow_up_turns.add(right)
        if not right:
            self.misses.append({"text": case.text, "expected": case.expect, "got": got})
        return right

    def add_reply(self, case: Case, items: list[dict]) -> bool:
        """A single message (or a conversation's first turn), from its reply."""
        if case.kind == "topics":
            return self.add_parts(case, items)
        if case.kind == "topic" and len(set(answered_topics(items))) > 1:
            self.extra_answers += 1
        before = len(self.misses)
        self.add(case, outcome(items))
        return len(self.misses) == before

    def add(self, case: Case, got: str) -> None:
        alarm = got.startswith(("emergency:", "handoff:"))
        right: bool
        if case.kind == "emergency":
            caught = got.startswith("emergency:")
            self.emergency_recall.add(caught)
            self.emergency_category.add(got == case.expect)
            right = got == case.expect
        elif case.kind == "handoff":
            caught = got.startswith("handoff:")
            self.disclosure_recall.add(caught)
            self.disclosure_confirmed += got.startswith("confirm")
            right = caught
        else:
            self.false_alarms.add(alarm)
            right = not alarm
            if case.kind == "out_of_scope":
                self.out_of_scope.add(got == "fallback")
                right = got == "fallback"
            elif case.kind == "smalltalk":
                self.smalltalk.add(got == case.expect)
                right = got == case.expect
            elif case.kind == "topic":
                expected = f"answer:{case.detail}"
                self.topics.add(got == expected)
                self.per_topic[case.detail or ""].add(got == expected)
                right = got == expected
        if not right:
            self.misses.append({"text": case.text, "expected": case.expect, "got": got})
            self.confusions[(case.expect, got)] += 1

    def as_dict(self) -> dict:
        return {
            "emergency_recall": self.emergency_recall.as_dict(),
            "emergency_category": self.emergency_category.as_dict(),
            "disclosure_recall": self.disclosure_recall.as_dict(),
            "disclosure_confirmed_instead": self.disclosure_confirmed,
            "false_alarm_rate": self.false_alarms.as_dict(),
            "out_of_scope_fallback": self.out_of_scope.as_dict(),
            "smalltalk": self.smalltalk.as_dict(),
            "topic_accuracy": self.topics.as_dict(),
            "extra_answers_to_one_topic_questions": self.extra_answers,
            "two_part_both_answered": self.two_part.as_dict(),
            "follow_up_turns": self.follow_up_turns.as_dict(),
            "conversations_all_turns_right": self.conversations.as_dict(),
            "replies_in_language": self.in_language.as_dict(),
            "per_topic": {t: tally.as_dict() for t, tally in sorted(self.per_topic.items())},
            "most_confused": [
                {"expected": e, "got": g, "count": n}
                for (e, g), n in self.confusions.most_common(15)
            ],
            "misses": self.misses,
        }


def talk(url: str, case: Case | Conversation) -> list[list[dict]]:
    """The replies to a case's messages, in one new conversation."""
    if isinstance(case, Case):
        return [ask(url, case.text)]
    sender = f"eval-{uuid.uuid4()}"
    return [ask(url, turn.text, sender) for turn in case.turns]


def in_language(items: list[dict], language: str) -> bool:
    """Every machine-readable item of the reply says it is written in `language`."""
    found = customs(items)
    return bool(found) and all(c.get("language") == language for c in found)


def evaluate(
    url: str, cases: list[Case | Conversation], workers: int = 4, language: str | None = None
) -> Report:
    with ThreadPoolExecutor(workers) as pool:
        replies = list(pool.map(lambda case: talk(url, case), cases))
    report = Report()
    if language:
        for turns in replies:
            for items in turns:
                report.in_language.add(in_language(items, language))
    for case, turns in zip(cases, replies, strict=True):
        if isinstance(case, Case):
            report.add_reply(case, turns[0])
            continue
        right = [report.add_reply(case.turns[0], turns[0])]
        right += [
            report.add_turn(t, items) for t, items in zip(case.turns[1:], turns[1:], strict=True)
        ]
        report.conversations.add(all(right))
    return report


def summary(report: Report) -> str:
    def line(name: str, tally: Tally) -> str:
        return f"  {name:<28}{tally.right:>4}/{tally.total:<4} {tally.rate:6.1%}"

    rows = [
        line("emergency recall", report.emergency_recall),
        line("emergency right category", report.emergency_category),
        line("disclosure recall", report.disclosure_recall),
        f"  {'disclosures asked (confirm)':<28}{report.disclosure_confirmed:>4}",
        line("false alarms (lower=better)", report.false_alarms),
        line("out-of-scope -> fallback", report.out_of_scope),
        line("small talk", report.smalltalk),
        line("topic accuracy", report.topics),
        f"  {'extra answers (one topic)':<28}{report.extra_answers:>4}",
        line("two-part: both answered", report.two_part),
        line("follow-up turns right", report.follow_up_turns),
        line("conversations all right", report.conversations),
        line("replies in the language", report.in_language),
    ]
    return "\n".join(row for row in rows if not re.search(r"\b0/0\s", row))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    parser.add_argument("--out", type=Path, help="write the full report, with misses, as JSON")
    parser.add_argument("--language", choices=("en", "es"), help="the language replies must be in")
    args = parser.parse_args()
    try:
        report = evaluate(args.url, load_all(*args.files), language=args.language)
    except RateLimited as error:
        print(f"Stopped: {error}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report.as_dict(), indent=2))
    print(summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
