"""With two Sanic workers, the kernel shares the connections out between them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from bench.run import first_answer, process_tree
from scripts.assistant_processes import (
    action_server,
    free_port,
    lock_store_config,
    rasa_server,
    redis_server,
    tracker_store_config,
)

pytestmark = pytest.mark.integration


def established_connections(pid: int, port: int) -> int:
    """Connections to `port` the process holds open, from /proc (no tools needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


async def open_patients(url: str, patients: int) -> list[aiohttp.ClientSession]:
    sessions = [aiohttp.ClientSession() for _ in range(patients)]

    async def ask(session: aiohttp.ClientSession, number: int) -> None:
        body = {"sender": f"worker-{number}", "message": "how much does it cost"}
        async with session.post(url, json=body) as response:
            assert response.status == 200

    await asyncio.gather(*(ask(s, n) for n, s in enumerate(sessions)))  # all at once
    return sessions


def test_a_burst_of_patients_is_shared_between_the_workers(tmp_path: Path) -> None:
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
                await first_answer(url, time.monotonic() + 180)
                sessions = await open_patients(url, 20)
                try:
                    workers = process_tree(rasa.process.pid)[1:]
                    return [established_connections(pid, rasa_port) for pid in workers]
                finally:
                    await asyncio.gather(*(s.close() for s in sessions))

            per_worker = asyncio.run(scenario())
        finally:
            rasa.stop()
            actions.stop()
    assert len(per_worker) == 2 and sum(per_worker) >= 20
    # Hashed by the kernel: never all on one worker (1 in 500,000 by chance).
    assert min(per_worker) >= 2, per_worker
