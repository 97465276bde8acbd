"""The speed-ups are installed by the Rasa server's entry point only, and only where they fit."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import jsonschema.validators
import pytest
import rasa
import sanic
from rasa.engine.runner.dask import DaskGraphRunner

from core.settings import PROJECT_ROOT
from rasa_server import patches, version_guard
from rasa_server.patches import action_reply_check, graph_runner
from tools.processes import assistant_env

ALL = ["action_reply_check", "graph_runner", "sanic_workers"]


def python(*args: str, **env: str) -> subprocess.CompletedProcess:
    """This Python in a fresh process, from the project root, with the assistant's environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=assistant_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_loading_what_rasa_loads_installs_nothing() -> None:
    """A fresh interpreter: nothing else can have installed them first."""
    loaded = python(
        "-c",
        "from rasa_server import patches\n"
        "import rasa_server.rest_channel, rasa_server.count_vectors\n"
        "import rasa_server.intent_classifier, rasa_server.safety_component\n"
        "import rasa_server.tracker_store, rasa_server.lock_store\n"
        "print([p.name for p in patches.PATCHES if p.installed()])",
    )
    assert loaded.stdout.strip() == "[]"


def test_the_entry_point_installs_every_speed_up_then_runs_rasas_command_line() -> None:
    version = python("-m", "rasa_server", "--version")
    assert "Rasa Version      :         3.6.21" in version.stdout  # Rasa's own CLI answered
    for name in ALL:
        assert f"INFO     rasa_server.patches  - Speed-up {name} installed" in version.stderr


def test_every_speed_up_fits_the_rasa_and_sanic_installed_here(
    unpatched: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert patches.install() == ALL
    assert all(patch.installed() for patch in patches.PATCHES)
    assert [r.levelname for r in caplog.records] == ["INFO"] * 3


def test_installing_twice_is_harmless(unpatched: None, caplog: pytest.LogCaptureFixture) -> None:
    patches.install()
    replacements = [patch.target.current() for patch in patches.PATCHES]
    with caplog.at_level(logging.DEBUG, logger="rasa_server.patches"):
        assert patches.install() == ALL
    assert [patch.target.current() for patch in patches.PATCHES] == replacements
    assert not caplog.records


@pytest.mark.parametrize(
    ("rasa_version", "sanic_version"), [("3.6.22", "21.12.2"), ("3.6.21", "22.12.0")]
)
def test_on_other_versions_nothing_is_installed_and_a_warning_says_why(
    unpatched: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    rasa_version: str,
    sanic_version: str,
) -> None:
    monkeypatch.setattr(rasa, "__version__", rasa_version)
    monkeypatch.setattr(sanic, "__version__", sanic_version)
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert patches.install() == []
    assert all(patch.target.current() is patch.original for patch in patches.PATCHES)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"Speed-up {name} not installed: it was written for rasa 3.6.21, sanic 21.12.2, "
            f"Python 3.10; this is rasa {rasa_version}, sanic {sanic_version}, Python 3.10. "
            "Rasa runs as shipped: correct, only slower.",
        )
        for name in ALL
    ]


def test_a_target_that_is_no_longer_the_original_is_left_alone(
    unpatched: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def changed_run(self: DaskGraphRunner, inputs: object = None, targets: object = None) -> dict:
        return {}

    monkeypatch.setattr(DaskGraphRunner, "run", changed_run)
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not graph_runner.PATCH.install()
    assert DaskGraphRunner.run is changed_run
    assert "DaskGraphRunner.run is not the code it was written against" in caplog.text


def test_a_change_to_what_a_speed_up_reproduces_stops_it_too(
    unpatched: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(jsonschema.validators, "validate", lambda instance, schema: None)
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not action_reply_check.PATCH.install()
    assert not action_reply_check.PATCH.installed()
    assert "jsonschema.validators.validate is not the code it was written against" in caplog.text


def test_a_fingerprint_follows_the_code_not_where_it_is_installed() -> None:
    def compiled(source: str, filename: str, first_line: int) -> object:
        namespace: dict = {}
        exec(compile("\n" * first_line + source, filename, "exec"), namespace)
        return namespace["f"]

    source = "def f(x):\n    return x in {'a', 'b'} and x + '1'\n"
    here = version_guard.fingerprint(compiled(source, "/venv/a/lib/m.py", 0))
    assert here == version_guard.fingerprint(compiled(source, "/other/lib/m.py", 40))
    assert here != version_guard.fingerprint(compiled(source.replace("'1'", "'2'"), "m.py", 0))
    assert version_guard.fingerprint(None) == "not a function"


def test_the_entry_point_leaves_numerical_libraries_one_thread() -> None:
    """OpenBLAS's helper threads spun between messages and took a core from the other worker."""
    counts = python(
        "-c",
        "import json, os\n"
        "from threadpoolctl import threadpool_info\n"
        "from rasa_server.__main__ import one_blas_thread\n"
        "blas = lambda: [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "before = blas()\n"
        "one_blas_thread()\n"
        "print(json.dumps({'before': before, 'after': blas(), 'cpus': os.cpu_count()}))",
    )
    found = json.loads(counts.stdout.strip().splitlines()[-1])
    assert found["after"] and set(found["after"]) == {1}
    if found["cpus"] > 1:  # the default it replaces: a thread a core
        assert max(found["before"]) > 1
