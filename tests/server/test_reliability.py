"""Parts down, hanging or crashing: the patient always gets a reply, and no handoff is lost."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.content_store import default_store
from core.handoffs import spool
from tests.contract import assert_follows_contract
from tests.server.conftest import send
from tools.processes import (
    PROJECT_ROOT,
    free_port,
    is_up,
    rasa_server,
    tracker_store_config,
)

pytestmark = pytest.mark.server


def test_disclosure_with_action_server_down_is_spooled_not_lost(
    assistant_without_actions: str, down_spool: Path
) -> None:
    sender = f"down-{uuid.uuid4()}"
    reply = send(assistant_without_actions, sender, "I have hep C, can I still have ketamine?")
    [handoff] = [c for c in assert_follows_contract(reply, sender) if c["kind"] == "handoff"]
    assert handoff["handoff_id"].startswith("h-pending-")
    assert handoff["conditions"] == ["liver"]
    [kept] = [r for r in spool.pending(down_spool) if r["conversation_id"] == sender]
    assert kept["reason"] == "contraindication" and kept["trigger_message"].startswith(
        "I have hep C"
    )


def test_a_spanish_patient_hears_in_spanish_when_the_action_server_is_down(
    assistant_without_actions: str, down_spool: Path
) -> None:
    content = default_store().content
    sender = f"down-{uuid.uuid4()}"
    reply = send(assistant_without_actions, sender, "cuanto cuesta el tratamiento con ketamina")
    assert assert_follows_contract(reply, sender, language="es") == [
        {"kind": "fallback", "language": "es"}
    ]
    assert content.reply("unavailable", "es") in [item.get("text") for item in reply]
    sender = f"down-{uuid.uuid4()}"
    reply = send(assistant_without_actions, sender, "tengo hepatitis C, me pueden poner ketamina?")
    [handoff] = [
        c for c in assert_follows_contract(reply, sender, language="es") if c["kind"] == "handoff"
    ]
    assert handoff["handoff_id"].startswith("h-pending-")
    assert content.reply("handoff_spooled", "es") in [item.get("text") for item in reply]
    [kept] = [r for r in spool.pending(down_spool) if r["conversation_id"] == sender]
    assert kept["language"] == "es"


class HangingServer:
    """Accepts connections and never answers: an action server that hangs."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)


@pytest.fixture(scope="module")
def assistant_with_hanging_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """Its own Rasa server: its action server hangs and its reply deadline is 2 s, where
    the shared servers have a working action server (or none) and the usual deadline."""
    hanging = HangingServer()
    data = tmp_path_factory.mktemp("hanging")
    rasa = rasa_server(
        free_port(),
        hanging.port,
        log_path=data / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=data / "trackers.db"),
        HANDOFF_SPOOL=str(data / "spool.jsonl"),
        REPLY_DEADLINE_SECONDS="2",
    )
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield rasa.health_url + "webhooks/rest/webhook", data / "spool.jsonl"
    finally:
        rasa.stop()
        hanging.socket.close()


def test_hanging_action_server_still_gets_a_prompt_reply(
    assistant_with_hanging_actions: tuple,
) -> None:
    url, spool_path = assistant_with_hanging_actions
    sender = f"hang-{uuid.uuid4()}"
    started = time.monotonic()
    reply = send(url, sender, "how much does it cost?")
    assert time.monotonic() - started < 10
    assert {"kind": "fallback", "language": "en"} in assert_follows_contract(reply, sender)

    started = time.monotonic()
    reply = send(url, sender, "I'm breastfeeding, is that a problem?")
    assert time.monotonic() - started < 10
    kinds = {c["kind"] for c in assert_follows_contract(reply, sender)}
    assert "handoff" in kinds
    assert any(r["conversation_id"] == sender for r in spool.pending(spool_path))

    reply = send(url, sender, "I want to end my life")
    assert assert_follows_contract(reply, sender)[0] == {
        "kind": "emergency",
        "category": "crisis",
        "language": "en",
    }


def test_crashed_action_server_is_restarted_and_answers_resume(tmp_path: Path) -> None:
    """Starts the whole assistant of its own, as `make run` does (tools.run_assistant): it
    kills that action server, and checks the supervisor restarts it and Ctrl-C stops all."""
    rasa_port, action_port = free_port(), free_port()
    env = {
        **os.environ,
        "ASSISTANT_LOG_DIR": str(tmp_path / "log"),
        "TRACKER_DB": str(tmp_path / "trackers.db"),
        "HANDOFF_DB_URL": f"sqlite:///{tmp_path / 'handoffs.db'}",
        "HANDOFF_SPOOL": str(tmp_path / "spool.jsonl"),
    }
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "tools.run_assistant", "--port", str(rasa_port),
         "--action-port", str(action_port), "--web-port", str(free_port())],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(supervisor.stdout), daemon=True).start()
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    try:
        deadline = time.monotonic() + 240
        while "The assistant is running" not in "".join(output):
            assert time.monotonic() < deadline and supervisor.poll() is None, "".join(output)
            time.sleep(0.5)
        sender = f"crash-{uuid.uuid4()}"
        assert (
            assert_follows_contract(send(url, sender, "what is ketamine?"), sender)[0]["kind"]
            == "answer"
        )

        pid = int(re.search(r"Action server ready \(.*pid (\d+)\)", "".join(output)).group(1))
        os.kill(pid, signal.SIGKILL)
        reply = send(url, sender, "is it addictive?")
        assert assert_follows_contract(reply, sender), "a reply, whatever the timing"

        deadline = time.monotonic() + 60
        while "Action server restarted" not in "".join(output) or not is_up(
            f"http://127.0.0.1:{action_port}/health"
        ):
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.5)
        reply = send(url, sender, "how long does the relief last?")
        assert assert_follows_contract(reply, sender)[0]["kind"] == "answer"
    finally:
        supervisor.send_signal(signal.SIGINT)
        supervisor.wait(60)
    assert supervisor.returncode == 0
    assert not is_up(f"http://127.0.0.1:{rasa_port}/"), "Ctrl-C stops every process"
