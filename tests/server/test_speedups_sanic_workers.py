"""With two Sanic workers, each listens on its own socket and the kernel shares connections out.

Sanic's own multi-worker start binds one socket in the main process, which
every worker inherits; with the speed-up the main process binds none. Both
the Rasa server (started as `make run` starts it) and a bare Sanic app show
which start ran.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bench.run import (
    ESTABLISHED,
    LISTENING,
    all_workers_listening,
    first_answer,
    sockets_on_port,
)
from tools.processes import (
    NO_RATE_LIMITS,
    ManagedProcess,
    action_server,
    assistant_env,
    free_port,
    lock_store_config,
    rasa_server,
    redis_server,
    tracker_store_config,
)

pytestmark = pytest.mark.server

# A Sanic app with two workers, the speed-up installed as the entry point
# installs it; argv: port, and the Rasa version to pretend ("as-installed": none).
SANIC_APP = """
import logging, sys
import rasa
from sanic import Sanic, response
from rasa_server.patches import sanic_workers

logging.basicConfig(level=logging.INFO)
if sys.argv[2] != "as-installed":
    rasa.__version__ = sys.argv[2]
sanic_workers.PATCH.install()
app = Sanic("two_workers")
app.add_route(lambda request: response.text("ok"), "/")
app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=2, access_log=False)
"""


def listening_sockets(tmp_path: Path, rasa_version: str) -> tuple[int, list[int], str]:
    """Listening sockets on the port of the main process, and of each worker; and the log."""
    port = free_port()
    log = tmp_path / "sanic.log"
    sanic = ManagedProcess(
        name="Sanic app",
        command=[sys.executable, "-c", SANIC_APP, str(port), rasa_version],
        health_url=f"http://127.0.0.1:{port}/",
        env=assistant_env(),
        log_path=log,
    )
    sanic.start()
    try:
        sanic.wait_ready(timeout=60)
        workers = asyncio.run(
            all_workers_listening(sanic.process.pid, port, 2, time.monotonic() + 30)
        )
        main = sockets_on_port(sanic.process.pid, port, LISTENING)
        per_worker = [sockets_on_port(pid, port, LISTENING) for pid in workers]
    finally:
        sanic.stop()
    return main, per_worker, log.read_text(errors="replace")


def test_installed_each_worker_binds_its_own_socket(tmp_path: Path) -> None:
    main, per_worker, log = listening_sockets(tmp_path, "as-installed")
    assert "Speed-up sanic_workers installed" in log
    assert (main, per_worker) == (0, [1, 1])


def test_on_another_rasa_version_sanic_shares_one_socket_as_shipped(tmp_path: Path) -> None:
    main, per_worker, log = listening_sockets(tmp_path, "3.6.22")
    assert "Speed-up sanic_workers not installed: it was written for rasa 3.6.21" in log
    assert (main, per_worker) == (1, [1, 1])  # the main process's, inherited by both


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
            lock_store=lock_store_config(lock_url), SANIC_WORKERS="2", **env, **NO_RATE_LIMITS,
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
                # The speed-up's start: no socket bound in the main process for the workers.
                assert sockets_on_port(rasa.process.pid, rasa_port, LISTENING) == 0
                sessions = await open_patients(url, 20)
                try:
                    return [sockets_on_port(p, rasa_port, ESTABLISHED) for p in workers]
                finally:
                    await asyncio.gather(*(s.close() for s in sessions))

            per_worker = asyncio.run(scenario())
        finally:
            rasa.stop()
            actions.stop()
    assert "Speed-up sanic_workers installed" in (tmp_path / "rasa.log").read_text()
    assert len(per_worker) == 2 and sum(per_worker) >= 20
    # Hashed by the kernel: never all on one worker (1 in 500,000 by chance).
    assert min(per_worker) >= 2, per_worker
