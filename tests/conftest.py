"""Shared fixtures: the project's paths, the shared contract files, and real servers."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions.content_store import DEFAULT_CONTENT_DIR, Content
from tests.staff_webhook import StaffWebhook

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# shared/ stands beside the repository (the product's contract files).
SHARED_DIR = Path(os.environ.get("SHARED_DIR", PROJECT_ROOT.parent / "shared"))
TEST_DATA = Path(__file__).resolve().parent / "data"


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs of a Rasa NLU YAML file, entity markup removed."""
    import re

    pairs = []
    for block in read_yaml(path).get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", line[2:])
                pairs.append((block["intent"], text))
    return pairs


@pytest.fixture(scope="session")
def topics_catalogue() -> list[dict]:
    path = SHARED_DIR / "topics.yml"
    assert path.is_file(), f"shared topic catalogue missing at {path} (set SHARED_DIR)"
    return read_yaml(path)["topics"]


@pytest.fixture(scope="session")
def content() -> Content:
    return Content.load(DEFAULT_CONTENT_DIR)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the content folder, for breaking it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def staff_webhook() -> Iterator[StaffWebhook]:
    hook = StaffWebhook()
    hook.up = True
    yield hook
    hook.server.shutdown()


@pytest.fixture(scope="session")
def handoff_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('data') / 'handoffs.db'}"


@pytest.fixture(scope="session")
def assistant(
    tmp_path_factory: pytest.TempPathFactory, staff_webhook: StaffWebhook, handoff_db_url: str
) -> Iterator[str]:
    """The real action server and Rasa server; yields the REST webhook URL."""
    from scripts.assistant_processes import DEFAULT_MODEL, action_server, rasa_server

    assert DEFAULT_MODEL.is_file(), "no trained model: run `make train` first"
    logs = tmp_path_factory.mktemp("logs")
    action_port, rasa_port = free_port(), free_port()
    actions = action_server(
        action_port,
        log_path=logs / "actions.log",
        HANDOFF_DB_URL=handoff_db_url,
        HANDOFF_WEBHOOK_URL=staff_webhook.url,
    )
    rasa = rasa_server(rasa_port, action_port, log_path=logs / "rasa.log")
    actions.start()
    rasa.start()
    try:
        actions.wait_ready(timeout=60)
        rasa.wait_ready(timeout=180)
        yield f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    finally:
        rasa.stop()
        actions.stop()


@pytest.fixture(scope="session")
def assistant_without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real Rasa server with its action server down; yields the REST webhook URL."""
    from scripts.assistant_processes import rasa_server

    logs = tmp_path_factory.mktemp("logs-no-actions")
    rasa = rasa_server(free_port(), free_port(), log_path=logs / "rasa.log")
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield rasa.health_url.rstrip("/") + "/webhooks/rest/webhook"
    finally:
        rasa.stop()
