"""Two Rasa servers on shared PostgreSQL and Redis (Rasa's own scaling design), on one machine."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from core.contract import reply_kinds
from tools.evaluate_holdout import holdout_examples
from tools.processes import (
    action_server,
    free_port,
    lock_store_config,
    postgres_server,
    rasa_server,
    redis_server,
    tracker_store_config,
    web_server,
)

pytestmark = pytest.mark.server

# Above what one conversation of the other tests sends (12); an hour's window so
# that none ends in the middle of the test. The address limit stays off: every
# message comes from 127.0.0.1.
CONVERSATION_LIMIT = 15
RATE_LIMITS = {
    "RATE_LIMIT_PER_CONVERSATION": str(CONVERSATION_LIMIT),
    "RATE_LIMIT_PER_ADDRESS": "0",
    "RATE_LIMIT_WINDOW_SECONDS": "3600",
}


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def replicas(postgres: str, redis: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list]:
    """Two Rasa servers, each with its action server, on the shared stores; yields their URLs.

    Their own servers: scale-out is two replicas on PostgreSQL and Redis, where the shared
    server is one, on SQLite.
    """
    logs = tmp_path_factory.mktemp("replicas")
    processes, urls = [], []
    for replica in ("a", "b"):
        action_port, rasa_port = free_port(), free_port()
        env = {
            "HANDOFF_DB_URL": f"{postgres}/handoffs",
            "HANDOFF_SPOOL": str(logs / f"spool-{replica}.jsonl"),
        }
        processes.append(
            action_server(action_port, log_path=logs / f"actions-{replica}.log", **env)
        )
        processes.append(
            rasa_server(
                rasa_port,
                action_port,
                log_path=logs / f"rasa-{replica}.log",
                tracker_store=tracker_store_config(url=f"{postgres}/trackers"),
                lock_store=lock_store_config(redis),
                **env,
                **RATE_LIMITS,  # counted in the lock store's Redis
            )
        )
        urls.append(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook")
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.wait_ready(timeout=240)
        yield urls
    finally:
        for process in processes:
            process.stop()


async def post(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> list:
    async with session.post(url, json={"sender": sender, "message": message}) as response:
        assert response.status == 200
        return await response.json()


async def converse(urls: list[str], main: str, turns: list[str], others: list[str]) -> dict:
    replies: dict[str, list] = {"main": [], "others": []}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def main_conversation() -> None:
            for index, message in enumerate(turns):  # alternately to both replicas
                replies["main"].append(await post(session, urls[index % 2], main, message))

        async def other(sender: str, offset: int) -> None:
            for index, message in enumerate(turns[:5]):
                replies["others"].append(
                    await post(session, urls[(index + offset) % 2], sender, message)
                )

        await asyncio.gather(main_conversation(), *(other(s, i) for i, s in enumerate(others)))
        # Two turns of one conversation at the same moment, one on each replica.
        burst = await asyncio.gather(
            post(session, urls[0], main, turns[0]), post(session, urls[1], main, turns[1])
        )
        replies["main"].extend(burst)
    return replies


def stored_user_texts(postgres: str, sender: str) -> list[str]:
    engine = create_engine(f"{postgres}/trackers")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        ).all()
    import json

    return [json.loads(data)["text"] for type_name, data in rows if type_name == "user"]


def stored_when_saved(postgres: str, sender: str, count: int, timeout: float = 30) -> list[str]:
    """The user texts once `count` are stored: a turn past the reply deadline
    (rasa_server/rest_channel.py) is answered at once and saved when it finishes."""
    deadline = time.monotonic() + timeout
    while len(stored := stored_user_texts(postgres, sender)) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return stored


def test_turns_alternating_between_replicas_are_all_answered_and_kept_in_order(
    replicas: list[str], postgres: str
) -> None:
    messages = [t for intent, t in holdout_examples() if intent not in {"out_of_scope"}][:10]
    main = f"scale-{uuid.uuid4()}"
    others = [f"scale-other-{uuid.uuid4()}" for _ in range(6)]
    replies = asyncio.run(converse(replicas, main, messages, others))

    assert all(reply_kinds(r) for r in replies["main"] + replies["others"])
    stored = stored_when_saved(postgres, main, len(messages) + 2)
    assert stored[: len(messages)] == messages, "every turn, in the order sent"
    assert sorted(stored[len(messages) :]) == sorted(messages[:2]), "both burst turns kept"
    for sender in others:
        assert stored_when_saved(postgres, sender, 5) == messages[:5]


def test_simultaneous_turns_get_distinct_tickets(redis: str) -> None:
    """Two servers issuing tickets for one conversation at once never share one."""
    from concurrent.futures import ThreadPoolExecutor

    from rasa.utils.endpoints import EndpointConfig

    from rasa_server.lock_store import AtomicRedisLockStore

    config = EndpointConfig.from_dict(lock_store_config(redis))
    servers = [AtomicRedisLockStore(config) for _ in range(8)]
    conversation = f"tickets-{uuid.uuid4()}"
    with ThreadPoolExecutor(len(servers)) as pool:
        tickets = list(
            pool.map(lambda s: [s.issue_ticket(conversation) for _ in range(20)], servers)
        )
    issued = [t for per_server in tickets for t in per_server]
    assert sorted(issued) == list(range(len(issued)))


STAFF_PASSWORD = "a replica-proof password"


@pytest.fixture(scope="module")
def consoles(
    replicas: list[str], postgres: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two page and staff console servers on the shared PostgreSQL; yields their base URLs."""
    from core.staff.store import StaffStore

    StaffStore(f"{postgres}/handoffs").set_account("nurse", "staff", STAFF_PASSWORD)
    logs = tmp_path_factory.mktemp("consoles")
    env = {"HANDOFF_DB_URL": f"{postgres}/handoffs", "TRACKER_STORE_URL": f"{postgres}/trackers",
           "WEB_PROXIES_COUNT": "1"}  # fmt: skip
    ports = [free_port(), free_port()]
    servers = [
        web_server(port, replicas[0], log_path=logs / f"web-{port}.log", **env) for port in ports
    ]
    for server in servers:
        server.start()
    try:
        for server in servers:
            server.wait_ready(timeout=60)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.stop()


def test_a_staff_session_opened_on_one_console_reads_the_inbox_on_the_other(
    replicas: list[str], consoles: list[str]
) -> None:
    import requests

    message = "I was diagnosed with schizophrenia, can I still do ketamine?"
    sender = f"scale-staff-{uuid.uuid4()}"
    reply = requests.post(replicas[0], json={"sender": sender, "message": message}, timeout=60)
    [handoff] = [i["custom"] for i in reply.json() if i.get("custom", {}).get("kind") == "handoff"]
    staff = requests.Session()
    staff.headers["X-Forwarded-For"] = "198.51.100.20"
    login = staff.post(f"{consoles[0]}/staff/api/login",
                       json={"username": "nurse", "password": STAFF_PASSWORD})  # fmt: skip
    assert login.status_code == 200
    inbox = staff.get(f"{consoles[1]}/staff/api/handoffs")
    assert inbox.status_code == 200
    assert handoff["handoff_id"] in [h["handoff_id"] for h in inbox.json()["handoffs"]]
    detail = staff.get(f"{consoles[1]}/staff/api/handoffs/{handoff['handoff_id']}").json()
    assert detail["handoff"]["transcript_source"] == "conversation"  # from PostgreSQL's trackers
    assert message in [t["text"] for t in detail["handoff"]["transcript"]]
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    assert staff.post(f"{consoles[1]}/staff/api/logout", headers=csrf).status_code == 200
    assert staff.get(f"{consoles[0]}/staff/api/handoffs").status_code == 401


def test_failed_logins_on_both_consoles_add_up_to_one_lockout(consoles: list[str]) -> None:
    import requests

    wrong = {"username": "nurse", "password": "not the password"}
    codes = [
        requests.post(f"{consoles[n % 2]}/staff/api/login", json=wrong,
                      headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(5)
    ]  # fmt: skip
    assert codes == [401, 401, 401, 401, 429]
    right = {"username": "nurse", "password": STAFF_PASSWORD}
    assert requests.post(f"{consoles[0]}/staff/api/login", json=right).status_code == 429


def test_a_rate_limit_counts_the_messages_both_replicas_received(replicas: list[str]) -> None:
    """The counters are in Redis: a conversation alternating between replicas uses up one
    limit, and both refuse it after."""
    import requests

    sender = f"scale-limit-{uuid.uuid4()}"

    def status(url: str) -> int:
        body = {"sender": sender, "message": "what is ketamine?"}
        reply = requests.post(url, json=body, timeout=30)
        return reply.status_code

    statuses = [status(replicas[n % 2]) for n in range(CONVERSATION_LIMIT)]
    assert statuses == [200] * CONVERSATION_LIMIT
    assert [status(replicas[0]), status(replicas[1])] == [429, 429]


def test_redis_counters_count_each_message_once(redis: str) -> None:
    """Many servers counting one key at once: every count from 1 up, none twice."""
    from concurrent.futures import ThreadPoolExecutor

    import redis as redis_client

    from core.rate_limit import RedisCounters

    servers = [RedisCounters(redis_client.Redis.from_url(redis)) for _ in range(4)]
    key = f"conversation:{uuid.uuid4().hex}"
    with ThreadPoolExecutor(8) as pool:
        hits = list(pool.map(lambda n: servers[n % 4].hit([key, "address:x"], 3600), range(40)))
    assert sorted(counts[0] for counts, _ in hits) == list(range(1, 41))
    assert all(0 < seconds_left <= 3600 for _, seconds_left in hits)


def test_sql_counters_on_postgresql_count_each_message_once(postgres: str) -> None:
    """Without Redis the counters are in the trackers database: on PostgreSQL, too, many
    servers counting one key at once get every count from 1 up, none twice."""
    from concurrent.futures import ThreadPoolExecutor

    from core.rate_limit import SqlCounters

    servers = [SqlCounters(create_engine(f"{postgres}/trackers")) for _ in range(4)]
    key = f"conversation:{uuid.uuid4().hex}"
    with ThreadPoolExecutor(8) as pool:
        hits = list(pool.map(lambda n: servers[n % 4].hit([key, "address:y"], 3600), range(40)))
    assert sorted(counts[0] for counts, _ in hits) == list(range(1, 41))
