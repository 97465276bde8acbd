"""How tools/processes.py configures and cleans up the servers it starts (none started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.processes import free_port, lock_store_config, rasa_server, tracker_store_config


def test_tracker_store_url_becomes_rasa_endpoint_config() -> None:
    config = tracker_store_config(url="postgresql://app:s%40cret@db.internal:5433/trackers")
    assert config == {
        "type": "rasa_server.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "db": "trackers",
        "port": 5433,
        "username": "app",
        "password": "s@cret",
    }


def test_lock_store_url_becomes_rasa_endpoint_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lock_store_config("redis://:pw@cache:6380/2") == {
        "type": "rasa_server.lock_store.AtomicRedisLockStore",
        "url": "cache",
        "port": 6380,
        "db": 2,
        "password": "pw",
    }
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    assert lock_store_config() is None  # one Rasa server needs no lock store


def test_the_rasa_servers_endpoints_file_is_removed_when_it_stops(tmp_path: Path) -> None:
    server = rasa_server(free_port(), free_port(), tracker_store=tracker_store_config(
        url="postgresql://app:secret@db.internal/trackers"))  # fmt: skip
    endpoints = server.scratch / "endpoints.yml"
    assert "secret" in endpoints.read_text()
    server.command = ["sleep", "30"]  # the process itself does not matter here
    server.start()

    server.stop()

    assert not endpoints.exists() and not server.scratch.exists()
