"""Shared fixtures: the project's paths, the shared contract files, and real servers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.content_store import DEFAULT_CONTENT_DIR, Content
from core.settings import settings
from tests.staff_webhook import StaffWebhook
from tools.processes import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# shared/ stands beside the repository (the product's contract files).
SHARED_DIR = Path(os.environ.get("SHARED_DIR", PROJECT_ROOT.parent / "shared"))
TEST_DATA = Path(__file__).resolve().parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `runs_last` read what every other test left behind (server logs)."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the environment it set (`monkeypatch.setenv`), not the last test's."""
    settings.cache_clear()
    yield
    settings.cache_clear()


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


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


# The demo page's port in the browser tests: the only origin CORS allows. Kept
# in the environment because pytest imports this file twice (as `conftest`,
# and as `tests.conftest` from the tests), and both must agree.
PAGE_PORT = int(os.environ.setdefault("TEST_PAGE_PORT", str(free_port())))


@pytest.fixture(scope="session")
def staff_webhook() -> Iterator[StaffWebhook]:
    hook = StaffWebhook()
    hook.up = True
    yield hook
    hook.server.shutdown()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test servers keep their stores: never the project's own var/."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def handoff_db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'handoffs.db'}"


@pytest.fixture(scope="session")
def tracker_db(data_dir: Path) -> Path:
    return data_dir / "trackers.db"


@pytest.fixture(scope="session")
def handoff_spool(data_dir: Path) -> Path:
    return data_dir / "spool" / "handoffs.jsonl"


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def trained_agent() -> Any:
    """The trained model loaded in this process, as the Rasa server loads it."""
    from rasa.core.agent import Agent

    from tools.processes import DEFAULT_MODEL

    assert DEFAULT_MODEL.is_file(), "no trained model: run `make train` first"
    return Agent.load(str(DEFAULT_MODEL))


@pytest.fixture
def unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa and Sanic as shipped, whatever a test installs; as they were again afterwards."""
    from rasa_server import patches

    for patch in patches.PATCHES:
        monkeypatch.setattr(patch.target.owner, patch.target.attribute, patch.original)


@pytest.fixture
def another_rasa_version(monkeypatch: pytest.MonkeyPatch) -> str:
    """Rasa says it is a version our speed-ups were not written for."""
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    return "3.6.22"


@pytest.fixture(scope="session")
def assistant(
    server_logs: Path,
    staff_webhook: StaffWebhook,
    handoff_db_url: str,
    tracker_db: Path,
    handoff_spool: Path,
) -> Iterator[str]:
    """The real action server and Rasa server; yields the REST webhook URL."""
    from tools.processes import (
        DEFAULT_MODEL,
        action_server,
        rasa_server,
        tracker_store_config,
    )
    from tools.web_server import page_origins

    assert DEFAULT_MODEL.is_file(), "no trained model: run `make train` first"
    action_port, rasa_port = free_port(), free_port()
    actions = action_server(
        action_port,
        log_path=server_logs / "actions.log",
        HANDOFF_DB_URL=handoff_db_url,
        HANDOFF_WEBHOOK_URL=staff_webhook.url,
        HANDOFF_SPOOL=str(handoff_spool),
    )
    rasa = rasa_server(
        rasa_port,
        action_port,
        log_path=server_logs / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=tracker_db),
        cors_origins=page_origins(PAGE_PORT),
        HANDOFF_SPOOL=str(handoff_spool),
    )
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
def down_spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("down") / "spool" / "handoffs.jsonl"


@pytest.fixture(scope="session")
def assistant_without_actions(
    tmp_path_factory: pytest.TempPathFactory, down_spool: Path
) -> Iterator[str]:
    """The real Rasa server with its action server down; yields the REST webhook URL."""
    from tools.processes import rasa_server, tracker_store_config

    logs = tmp_path_factory.mktemp("logs-no-actions")
    rasa = rasa_server(
        free_port(),
        free_port(),
        log_path=logs / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=down_spool.parent.parent / "trackers.db"),
        HANDOFF_SPOOL=str(down_spool),
    )
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield rasa.health_url.rstrip("/") + "/webhooks/rest/webhook"
    finally:
        rasa.stop()
