"""The unit tier: plain Python, and Rasa's parts in this process. No server.

`no_servers` makes that a rule: a test here that starts the Rasa server, the
whole assistant or the benchmark, or waits for a server to come up, fails and
says to move it to tests/server/.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.content_store import DEFAULT_CONTENT_DIR, Content
from tools.processes import ManagedProcess
from tools.topics import CATALOGUE_FILES, read_catalogue

# Commands that start a server (`python -m rasa_server run`, as tools/processes.py
# starts it, or plain `rasa run`) or several (`python -m tools.run_assistant`,
# `python -m bench.run`).
SERVER_COMMANDS = (
    ("rasa_server", "run"),
    ("rasa", "run"),
    ("-m", "tools.run_assistant"),
    ("-m", "bench.run"),
)


def starts_a_server(args: Any) -> bool:
    words = (
        os.fsdecode(args).split()
        if isinstance(args, str | bytes | os.PathLike)
        else list(map(str, args))
    )
    words[:1] = [Path(word).name for word in words[:1]]  # /path/to/.venv/bin/rasa: rasa
    return any(command in itertools.pairwise(words) for command in SERVER_COMMANDS)


@pytest.fixture(autouse=True)
def no_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test starts no server: one that does belongs in tests/server/."""
    popen = subprocess.Popen.__init__

    def refuse_servers(self: subprocess.Popen, args: Any, *more: Any, **options: Any) -> None:
        if starts_a_server(args):
            pytest.fail(f"{args} starts a server: move this test to tests/server/")
        popen(self, args, *more, **options)

    def refuse_to_wait(process: ManagedProcess, timeout: float) -> None:
        pytest.fail(f"waits for the {process.name}: move this test to tests/server/")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse_servers)
    monkeypatch.setattr(ManagedProcess, "wait_ready", refuse_to_wait)


@pytest.fixture(scope="session")
def topics_catalogue() -> list[dict]:
    """The catalogue files `make topics` checks (tools/topics.py: CATALOGUE_FILES)."""
    return read_catalogue(CATALOGUE_FILES)


@pytest.fixture(scope="session")
def content() -> Content:
    return Content.load(DEFAULT_CONTENT_DIR)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the content folder, for breaking it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


@pytest.fixture(scope="session")
def trained_agent() -> Any:
    """The trained model loaded in this process, as the Rasa server loads it."""
    from rasa.core.agent import Agent

    from tools.processes import DEFAULT_MODEL

    assert DEFAULT_MODEL.is_file(), "no trained model: run `make train` first"
    return Agent.load(str(DEFAULT_MODEL))
