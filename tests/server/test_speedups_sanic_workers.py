"""With two Sanic workers, the kernel shares the connections out between them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from bench.run import ESTABLISHED, all_workers_listening, first_answer, sockets_on_port
from tools.processes import (
    action_server,
    free_port,
    lock_store_config,
    rasa_server,
    redis_server,
    tracker_store_config,
)

pytestmark = pytest.mark.server


async def open_patients(url: str, patients: int) -> list[aiohttp.ClientSession]:
    sessions = [aiohttp.ClientSession() for _ in range(patients)]

    async def ask(session: aiohttp.ClientSession, number: int) -> None:
        body = {"sender": f"worker-{number}", "message": "how much does it cost"}
        async with session.post(url, json=body) as response:
            assert response.status == 200

    await asyncio.gather(*(ask(s, n) for n, s in enumerate(sessions)))  # all at once
    return sessions


def test_a_burst_of_patients_is_shared_between_the_workers(tmp_path: Path) -> None:
    """Its own Rasa server: two Sanic workers on a Redis lock store; the shared one has one."""
    with redis_server(tmp_path) as lock_url:
        rasa_port, action_port = free_port(), free_port()
        env = {
            "HANDOFF_DB_URL": f"sqlite:///{tmp_path / 'handoffs.db'}",
            "HANDOFF_SPOOL": str(tmp_path / "spool.jsonl"),
        }
        actions = action_server(action_port, log_path=tmp_path / "actions.log", **env)
        rasa = rasa_server(
            rasa_port, action_port, log_path=tmp_path / "rasa.log",
            tracker_store=tracker_store_config(sqlite_path=tmp_path / "trackers.db"),
            lock_store=lock_store_config(lock_url), SANIC_WORKERS="2", **env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
        actions.start()
        rasa.start()
        try:

            async def scenario() -> list[int]:
                deadline = time.monotonic() + 180
                await first_answer(url, deadline)
                # The first answer can come while the other worker still loads the model.
                workers = await all_workers_listening(rasa.process.pid, rasa_port, 2, deadline)
                sessions = await open_patients(url, 20)
                try:
                    return [sockets_on_port(p, rasa_port, ESTABLISHED) for p in workers]
                finally:
                    await asyncio.gather(*(s.close() for s in sessions))

            per_worker = asyncio.run(scenario())
        finally:
            rasa.stop()
            actions.stop()
    assert len(per_worker) == 2 and sum(per_worker) >= 20
    # Hashed by the kernel: never all on one worker (1 in 500,000 by chance).
    assert min(per_worker) >= 2, per_worker
