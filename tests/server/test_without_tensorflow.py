"""The running Rasa server answers without TensorFlow in memory.

rasa_server/without_tensorflow.py keeps it out.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench.run import process_tree
from tests.server.conftest import send

pytestmark = pytest.mark.server


def rasa_server_pid(port: int) -> int:
    """The process started as `python -m rasa_server run ... --port <port>`."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"rasa_server" in args and b"run" in args and str(port).encode() in args:
            return int(cmdline.parent.name)
    raise AssertionError(f"no Rasa server process on port {port}")


def test_the_rasa_server_answers_with_no_tensorflow_mapped(assistant: str) -> None:
    replies = send(assistant, "no-tensorflow", "what is ketamine")
    assert [r["custom"]["topic"] for r in replies if "custom" in r] == ["ketamine_what_is"]
    pid = rasa_server_pid(urlparse(assistant).port)
    for member in process_tree(pid):
        maps = Path(f"/proc/{member}/maps").read_text()
        assert "libtensorflow" not in maps, f"TensorFlow's library is loaded in process {member}"
        assert "/keras/" not in maps and "/jax" not in maps
