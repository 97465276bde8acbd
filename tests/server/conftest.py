"""The server tier: the real servers, started once per run and shared by every test.

A Rasa server takes most of a minute to start on a small machine, so a test
uses these session-wide servers unless it cannot (it restarts, kills or
reconfigures one): such a test starts its own and says why in its docstring.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.settings import PROJECT_ROOT
from tests.staff_webhook import StaffWebhook
from tools.processes import free_port

# The demo page's port in the browser tests: the only origin CORS allows.
PAGE_PORT = free_port()
# The page in front of the server with rate limits (`rate_limited_assistant`).
RATE_LIMITED_PAGE_PORT = free_port()
# Small limits for the tests of the limits, and an hour's window so that none
# ends in the middle of a test. 127.0.0.1 is a trusted proxy there: each test
# names its own client in X-Forwarded-For, so tests do not share an address.
TEST_RATE_LIMITS = {
    "RATE_LIMIT_PER_CONVERSATION": "3",
    "RATE_LIMIT_PER_ADDRESS": "6",
    "RATE_LIMIT_WINDOW_SECONDS": "3600",
    "TRUSTED_PROXIES": "127.0.0.1",
}


def send(url: str, sender: str, message: str, timeout: float = 30) -> list[dict]:
    """One patient message to a REST webhook; the reply's items (a 200 is required)."""
    response = requests.post(url, json={"sender": sender, "message": message}, timeout=timeout)
    assert response.status_code == 200, response.text
    return response.json()


# The action server signs its staff notifications with this (docs/staff-webhook.md).
WEBHOOK_SECRET = "test-secret-for-the-staff-webhook-0123456789"


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
def action_port(
    server_logs: Path, staff_webhook: StaffWebhook, handoff_db_url: str, handoff_spool: Path
) -> Iterator[int]:
    """The real action server, shared by every Rasa server the tests start; yields its port."""
    from tools.processes import action_server

    port = free_port()
    actions = action_server(
        port,
        log_path=server_logs / "actions.log",
        HANDOFF_DB_URL=handoff_db_url,
        HANDOFF_WEBHOOK_URL=staff_webhook.url,
        HANDOFF_WEBHOOK_SECRET=WEBHOOK_SECRET,
        HANDOFF_SPOOL=str(handoff_spool),
    )
    actions.start()
    try:
        actions.wait_ready(timeout=60)
        yield port
    finally:
        actions.stop()


@pytest.fixture(scope="session")
def assistant(
    action_port: int, server_logs: Path, tracker_db: Path, handoff_spool: Path
) -> Iterator[str]:
    """The real Rasa server with the real action server; yields the REST webhook URL."""
    from tools.processes import DEFAULT_MODEL, NO_RATE_LIMITS, rasa_server, tracker_store_config
    from tools.web_server import page_origins

    assert DEFAULT_MODEL.is_file(), "no trained model: run `make train` first"
    rasa_port = free_port()
    rasa = rasa_server(
        rasa_port,
        action_port,
        log_path=server_logs / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=tracker_db),
        cors_origins=page_origins(PAGE_PORT),
        HANDOFF_SPOOL=str(handoff_spool),
        **NO_RATE_LIMITS,  # the tests send many messages from 127.0.0.1
    )
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    finally:
        rasa.stop()


@pytest.fixture(scope="session")
def rate_limited_tracker_db(data_dir: Path) -> Path:
    return data_dir / "rate-limited-trackers.db"


@pytest.fixture(scope="session")
def rate_limited_assistant(
    action_port: int, server_logs: Path, rate_limited_tracker_db: Path, handoff_spool: Path
) -> Iterator[str]:
    """A Rasa server of its own with small rate limits (`TEST_RATE_LIMITS`), on the shared
    action server; yields the REST webhook URL. Its own: the shared server has limits off,
    since the other tests send many messages from 127.0.0.1."""
    from tools.processes import rasa_server, tracker_store_config
    from tools.web_server import page_origins

    rasa = rasa_server(
        free_port(),
        action_port,
        log_path=server_logs / "rasa-rate-limited.log",
        tracker_store=tracker_store_config(sqlite_path=rate_limited_tracker_db),
        cors_origins=page_origins(RATE_LIMITED_PAGE_PORT),
        HANDOFF_SPOOL=str(handoff_spool),
        **TEST_RATE_LIMITS,
    )
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield rasa.health_url.rstrip("/") + "/webhooks/rest/webhook"
    finally:
        rasa.stop()


@pytest.fixture(scope="session")
def down_spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("down") / "spool" / "handoffs.jsonl"


@pytest.fixture(scope="session")
def assistant_without_actions(
    tmp_path_factory: pytest.TempPathFactory, down_spool: Path
) -> Iterator[str]:
    """The real Rasa server with its action server down; yields the REST webhook URL."""
    from tools.processes import NO_RATE_LIMITS, rasa_server, tracker_store_config

    logs = tmp_path_factory.mktemp("logs-no-actions")
    rasa = rasa_server(
        free_port(),
        free_port(),
        log_path=logs / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=down_spool.parent.parent / "trackers.db"),
        HANDOFF_SPOOL=str(down_spool),
        **NO_RATE_LIMITS,
    )
    rasa.start()
    try:
        rasa.wait_ready(timeout=180)
        yield rasa.health_url.rstrip("/") + "/webhooks/rest/webhook"
    finally:
        rasa.stop()


# --- the browser of the page and console tests -----------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
# Chromium as root in a sandboxed CI, with no background network traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, one for every browser test of the run."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make test installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
