"""What the servers wrote while every other test ran: no patient text, no crash."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.server.conftest import send

pytestmark = [pytest.mark.server, pytest.mark.runs_last]


def test_message_text_never_reaches_the_logs(assistant: str, server_logs: Path) -> None:
    marker = f"glaucoma-{uuid.uuid4().hex}"
    for message in (f"I have {marker}", f"what does it cost {marker}", f"I want to die {marker}"):
        sender = f"log-{uuid.uuid4()}"
        send(assistant, sender, message)
    logs = {path.name: path.read_text(errors="replace") for path in server_logs.glob("*.log")}
    assert logs, "no server logs found"
    for name, content in logs.items():
        assert marker not in content, f"patient text in {name}"


def test_no_unhandled_exception_in_the_logs(assistant: str, server_logs: Path) -> None:
    for path in server_logs.glob("*.log"):
        content = path.read_text(errors="replace")
        assert "Traceback" not in content, f"{path.name}:\n{content[-3000:]}"
