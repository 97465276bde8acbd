"""How long the curators' insights take on 10,000 stored conversations (bench/NOTES.md).

    python -m bench.insights [--conversations 10000] [--postgres]

Fills a tracker store, created with Rasa's own `SQLTrackerStore` schema, with
synthetic conversations written as the Rasa server writes them
(`rasa_server.tracker_store.event_row` over Rasa's event classes): session
starts, patient messages with a full NLU parse, actions, the reply's text and
its `custom` item, slots. The mix: answers (some rated), fallbacks, offers of
a choice taken or left, small talk, handoffs, emergencies, button clicks.
The window holds `--conversations` conversations over the last 30 days; a
fifth as many again are older (31-90 days), as a store kept for
`RETENTION_DAYS` holds, so the query must skip them. The handoff database
gets a request for 3 % of the conversations and a rating for 20 %.

Then `InsightsReader.compute(30)` is timed: the first call (which adds the
timestamp index to a store that lacks it) and five more, with the parts
(reading the window's events, grouping the unanswered questions) timed too.
`--postgres` does the same on a throwaway PostgreSQL cluster (Debian's
binaries, run as the `postgres` user: `tools.processes.postgres_server`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sqlalchemy import create_engine, text

from core.feedback.store import FeedbackStore
from core.handoffs.store import HandoffStore
from core.settings import CONTENT_DIR
from core.staff.insights import ConversationTurns, InsightsReader, tally
from core.staff.question_groups import group_questions
from core.staff.transcripts import ConversationReader
from rasa_server.tracker_store import event_row
from tools.processes import postgres_server

DAYS = 30
TOPICS = sorted(path.stem for path in (CONTENT_DIR / "answers").glob("*.yml"))
INTENTS = [*TOPICS[:12], "out_of_scope", "greet", "affirm", "deny", "request_human"]
QUESTIONS = [
    "how much does {t} cost", "is {t} covered by my insurance", "tell me about {t}",
    "what should I know about {t}", "can you explain {t} please", "{t}?",
]  # fmt: skip
# Out-of-scope asks: subjects x phrasings, so the grouping has similar questions to join.
SUBJECTS = [
    "bring my dog", "park my bike", "pay with bitcoin", "get a sick note for work",
    "bring my kids", "eat before driving home", "use the wifi", "get a flu shot",
    "book a massage", "see a chiropractor there", "get a copy of my x-ray", "smoke outside",
    "order food to the clinic", "charge my electric car", "bring my own music",
]  # fmt: skip
PHRASINGS = ["can I {s}?", "is it possible to {s}", "could I {s} at the clinic", "{s}??",
             "do you let patients {s}", "where can I {s}"]  # fmt: skip
METADATA = {"model_id": "8c4d53cce61a4a60a16b7989d0f8490d", "assistant_id": "bench"}


def parse(text_: str, intent: str, rng: random.Random) -> dict:
    ranking = [{"name": intent, "confidence": rng.uniform(0.5, 1.0)}] + [
        {"name": other, "confidence": rng.uniform(0, 0.1)}
        for other in rng.sample([i for i in INTENTS if i != intent], 9)
    ]
    return {
        "intent": ranking[0],
        "entities": [],
        "text": text_,
        "message_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "metadata": {},
        "text_tokens": [[0, len(text_)]],
        "intent_ranking": ranking,
        "response_selector": {"all_retrieval_intents": [], "default": {"response": {}}},
    }


def turn(said: str, intent: str, action: str, customs: list[dict], at: float, rng) -> list:
    events = [
        UserUttered(said, parse_data=parse(said, intent, rng), timestamp=at, metadata=METADATA),
        ActionExecuted(action, policy="RulePolicy", confidence=1.0, timestamp=at + 0.01),
    ]
    for number, custom in enumerate(customs):
        stamp = at + 0.02 + number * 0.001
        reply = "A reply of a few sentences for the patient. " * 4
        events.append(BotUttered(reply, data={"buttons": None, "custom": None}, timestamp=stamp))
        events.append(BotUttered(None, data={"buttons": None, "custom": custom}, timestamp=stamp))
    events.append(ActionExecuted("action_listen", timestamp=at + 0.05))
    return events


def conversation(rng: random.Random, start: float) -> tuple[list, list[str]]:
    """A conversation's events, and the topics it answered (for ratings)."""
    events: list = [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start),
        ActionExecuted("action_listen", timestamp=start),
    ]
    answered: list[str] = []
    at = start
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 6])):
        at += rng.uniform(5, 120)
        roll = rng.random()
        if roll < 0.55:
            topic = rng.choice(TOPICS)
            said = rng.choice(QUESTIONS).format(t=topic.replace("_", " "))
            source = {"id": "s1", "title": "A source", "url": "https://doi.org/10.1/x"}
            custom = {"kind": "answer", "topic": topic, "sources": [source]}
            events += turn(said, topic, "action_answer", [custom], at, rng)
            answered.append(topic)
            if rng.random() < 0.3:
                at += rng.uniform(2, 30)
                rating = rng.choice(["up", "up", "up", "down"])
                feedback = {"kind": "feedback", "rating": rating, "topic": topic}
                events += turn("/answer_helped", "affirm", "action_rate", [feedback], at, rng)
        elif roll < 0.70:
            said = rng.choice(PHRASINGS).format(s=rng.choice(SUBJECTS))
            events += turn(said, "out_of_scope", "action_fallback", [{"kind": "fallback"}], at, rng)
        elif roll < 0.80:
            options = rng.sample(TOPICS, 2)
            said = f"something about {options[0].replace('_', ' ')}"
            clarify = {"kind": "clarify", "options": options}
            events += turn(said, options[0], "action_clarify", [clarify], at, rng)
            if rng.random() < 0.5:
                at += rng.uniform(2, 20)
                custom = {"kind": "answer", "topic": options[0], "sources": []}
                events += turn(f"/{options[0]}", options[0], "action_answer", [custom], at, rng)
        elif roll < 0.90:
            events += turn("hi there", "greet", "action_smalltalk",
                           [{"kind": "smalltalk", "act": "greet"}], at, rng)  # fmt: skip
        elif roll < 0.95:
            handoff = {"kind": "handoff", "reason": "user_request", "handoff_id": "h-000001"}
            events += turn("I want to talk to a person", "request_human", "action_handoff",
                           [handoff], at, rng)  # fmt: skip
            events.append(SlotSet("handoff_id", "h-000001", timestamp=at + 0.06))
        else:
            emergency = {"kind": "emergency", "category": "medical"}
            events += turn("I have chest pain right now", "out_of_scope", "action_emergency",
                           [emergency], at, rng)  # fmt: skip
    return events, answered


def fill(tracker_url: str, handoff_url: str, conversations: int, now: float) -> dict:
    engine = create_engine(tracker_url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    rng = random.Random(14)
    older = conversations // 5
    rows = 0
    feedback = FeedbackStore(handoff_url)
    handoffs = HandoffStore(handoff_url)
    rated = []
    batch: list[dict] = []
    with engine.begin() as connection:
        for number in range(conversations + older):
            age_days = rng.uniform(0, DAYS - 0.1) if number < conversations else rng.uniform(31, 90)
            sender = f"bench-{number}"
            events, answered = conversation(rng, now - age_days * 86400)
            batch += [event_row(sender, event) for event in events]
            if answered and rng.random() < 0.2:
                rated.append((sender, rng.choice(answered), rng.choice(["up", "up", "down"]),
                              age_days))  # fmt: skip
            if len(batch) > 5000:
                connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), batch)
                rows += len(batch)
                batch = []
        connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), batch)
        rows += len(batch)
    utc_now = dt.datetime.utcfromtimestamp(now)
    for sender, topic, rating, age_days in rated:
        feedback.rate(sender, topic, rating, at=utc_now - dt.timedelta(days=age_days))
    created = []
    for number in range(int(conversations * 0.03)):
        reason = rng.choice(["contraindication", "user_request"])
        handoff = handoffs.create(f"bench-{number}", reason, "(bench)", f"m-{number}")
        created.append((int(handoff.id[2:]), rng.uniform(0, DAYS - 1), rng.uniform(5, 48 * 60)))
    with handoffs.engine.begin() as connection:
        for row_id, age_days, minutes in created:
            opened = utc_now - dt.timedelta(days=age_days)
            resolved = opened + dt.timedelta(minutes=minutes) if rng.random() < 0.85 else None
            connection.execute(
                text("UPDATE handoffs SET created_at = :c, resolved_at = :r, "
                     "status = :s WHERE id = :id"),
                {"c": opened, "r": resolved, "s": "resolved" if resolved else "open", "id": row_id},
            )  # fmt: skip
    return {"event_rows": rows, "ratings": len(rated), "handoffs": len(created)}


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return round((time.perf_counter() - started) * 1000, 1), result


def measure(tracker_url: str, handoff_url: str, conversations: int) -> dict:
    now = time.time()
    fill_ms, filled = timed(lambda: fill(tracker_url, handoff_url, conversations, now))
    reader = InsightsReader(
        ConversationReader(tracker_url),
        HandoffStore(handoff_url),
        FeedbackStore(handoff_url),
    )
    first_ms, found = timed(lambda: reader.compute(DAYS))
    runs = [timed(lambda: reader.compute(DAYS))[0] for _ in range(5)]
    turns = ConversationTurns(ConversationReader(tracker_url))
    start = now - DAYS * 86400
    read_ms = [timed(lambda: turns.since(start))[0] for _ in range(3)]
    tally_ms, (_, _, unanswered) = timed(lambda: tally(turns.since(start)))
    tally_ms -= statistics.median(read_ms)
    group_ms = [timed(lambda: group_questions(unanswered))[0] for _ in range(3)]
    with create_engine(tracker_url).connect() as connection:
        window_rows = connection.execute(
            text(
                "SELECT COUNT(*) FROM events WHERE timestamp >= :s AND type_name IN ('user','bot')"
            ),
            {"s": start},
        ).scalar()
    return {
        **filled,
        "conversations_in_window": found["conversations"],
        "window_user_and_bot_rows": window_rows,
        "messages": found["messages"],
        "answer_rate": found["answer_rate"],
        "unanswered_messages": found["unanswered_messages"],
        "groups": len(found["unanswered"]),
        "fill_seconds": round(fill_ms / 1000, 1),
        "first_compute_ms (adds the index)": first_ms,
        "compute_ms_median_of_5": statistics.median(runs),
        "compute_ms_runs": runs,
        "read_window_ms_median_of_3": statistics.median(read_ms),
        "classify_ms": round(tally_ms, 1),
        "group_unanswered_ms_median_of_3": statistics.median(group_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="insights-bench-") as work:
        results["sqlite"] = measure(
            f"sqlite:///{work}/trackers.db", f"sqlite:///{work}/handoffs.db", args.conversations
        )
        print(json.dumps({"sqlite": results["sqlite"]}, indent=2), flush=True)
    if args.postgres:
        with postgres_server() as url:
            results["postgresql"] = measure(
                f"{url}/trackers", f"{url}/handoffs", args.conversations
            )
        print(json.dumps({"postgresql": results["postgresql"]}, indent=2), flush=True)


if __name__ == "__main__":
    main()
