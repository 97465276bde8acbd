"""The tiers cannot drift: a test outside its tier's folder, or marked for the other tier,
stops the run (tests/conftest.py), and a unit test cannot start a server (tests/unit/conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TESTS, pytest_collection_modifyitems
from tools.processes import free_port, rasa_server


@dataclass
class FakeItem:
    """The little of a collected test that the tier check reads."""

    nodeid: str
    markers: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        return TESTS.parent / self.nodeid.split("::")[0]

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def test_tests_in_their_tiers_run_unit_first_and_runs_last_last() -> None:
    items = [
        FakeItem("tests/server/test_logs.py::test_no_patient_text", {"server", "runs_last"}),
        FakeItem("tests/server/test_rest.py::test_answer", {"server"}),
        FakeItem("tests/unit/test_screen.py::test_crisis"),
    ]
    pytest_collection_modifyitems(items)
    assert [item.nodeid.split("::")[1] for item in items] == [
        "test_crisis",
        "test_answer",
        "test_no_patient_text",
    ]


@pytest.mark.parametrize(
    ("item", "says"),
    [
        (FakeItem("tests/test_loose.py::test_x"), "put it in tests/unit/ or tests/server/"),
        (FakeItem("tests/server/test_rest.py::test_x"), "not marked `server`"),
        (FakeItem("tests/unit/test_screen.py::test_x", {"server"}), "marked `server` but in"),
    ],
    ids=["outside the tiers", "server test unmarked", "unit test marked server"],
)
def test_a_test_in_the_wrong_tier_stops_the_run(item: FakeItem, says: str) -> None:
    with pytest.raises(pytest.UsageError, match=says):
        pytest_collection_modifyitems([FakeItem("tests/unit/test_fine.py::test_y"), item])


@pytest.mark.parametrize(
    "command",
    [
        ["/nowhere/python", "-m", "rasa_server", "run", "--port", "5005"],
        ["/nowhere/.venv/bin/rasa", "run", "--port", "5005"],
        ["/nowhere/python", "-m", "tools.run_assistant"],
        "/nowhere/python -m bench.run --quick",
    ],
)
def test_a_unit_test_cannot_start_a_server(command: list[str] | str) -> None:
    # Nothing is at /nowhere: without the guard, nothing would start either.
    with pytest.raises(pytest.fail.Exception, match="move this test to tests/server/"):
        subprocess.run(command, shell=isinstance(command, str), check=False)


def test_a_unit_test_cannot_wait_for_a_server() -> None:
    server = rasa_server(free_port(), free_port())
    try:
        with pytest.raises(pytest.fail.Exception, match="move this test to tests/server/"):
            server.wait_ready(timeout=1)
    finally:
        server.stop()  # removes its endpoints file; it was never started


def test_other_commands_still_run_in_the_unit_tier() -> None:
    done = subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True, text=True)
    assert done.stdout == "ok\n"
