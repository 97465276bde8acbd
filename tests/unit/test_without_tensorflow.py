"""The Rasa server runs without TensorFlow and Keras, and reads every message as before.

Stand-ins let Rasa's modules define their classes; anything that would run
TensorFlow fails at once with a message that says why. The model loaded
with stand-ins parses a thousand messages exactly as with TensorFlow
loaded, and the entry point installs them for the server, never for
training.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import subprocess
import sys
import types
from typing import Any, Union

import pytest

from core.settings import PROJECT_ROOT
from rasa_server import without_tensorflow
from rasa_server.without_tensorflow import (
    StandInFinder,
    StandInModule,
    TensorFlowNotLoaded,
)
from tools.evaluate_cases import Case, load_all
from tools.processes import DEFAULT_MODEL, assistant_env

# Loads the model with the stand-ins in a fresh process and prints what it
# reads in each message given on stdin (one JSON list of texts).
PARSE_WITH_STAND_INS = """
import asyncio, json, sys
from core.settings import PROJECT_ROOT
from rasa_server import without_tensorflow
assert without_tensorflow.install()
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
texts = json.load(sys.stdin)
readings = [asyncio.run(agent.parse_message(text)) for text in texts]
loaded = sorted(name for name in ("tensorflow", "keras", "jax") if name in sys.modules)
kinds = {name: type(sys.modules[name]).__name__ for name in loaded}
print(json.dumps({"readings": readings, "loaded": kinds}))
"""


def python(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """This Python in a fresh process, from the project root, with the assistant's environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=assistant_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )


def as_json(parsed: dict[str, Any]) -> Any:
    """A reading as the REST channel would carry it: numbers and lists, no numpy types."""
    return json.loads(json.dumps(parsed, default=float))


def test_a_stood_in_name_is_a_class_that_can_be_named_and_built_on() -> None:
    tf = StandInModule("tensorflow")
    layer = tf.keras.layers.Layer
    assert isinstance(layer, type) and layer.__stood_in_for__ == "tensorflow.keras.layers.Layer"
    assert tf.Tensor is tf.Tensor  # one class per name, as a module gives

    class Dense(layer):  # as rasa/utils/tensorflow/layers.py defines its layers
        units = 3

    assert Dense.units == 3
    # As Rasa 3.6's annotations use them (typing's forms, not `X | Y`).
    assert Union[tf.Tensor, tf.SparseTensor, None]  # noqa: UP007


@pytest.mark.parametrize(
    "use",
    [
        lambda tf: tf.constant([1.0]),
        lambda tf: tf.keras.layers.Dense(3),
        lambda tf: type("MyLayer", (tf.keras.layers.Layer,), {})(),
        lambda tf: tf.function(print),  # a decorator is a call too
    ],
    ids=["function", "class", "subclass", "decorator"],
)
def test_using_tensorflow_fails_at_once_and_says_why(use: Any) -> None:
    with pytest.raises(TensorFlowNotLoaded, match=r"runs without TensorFlow.*plain `rasa run`"):
        use(StandInModule("tensorflow"))


def test_pythons_own_probes_find_nothing_as_on_a_plain_class() -> None:
    tensor = StandInModule("tensorflow").Tensor
    for probe in ("__wrapped__", "__signature__", "__origin__", "__internal__"):
        assert not hasattr(tensor, probe)
        assert not hasattr(StandInModule("tensorflow"), probe)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(tensor)  # not importable: nothing can carry a stand-in off


def test_the_finder_answers_only_the_stood_in_packages() -> None:
    finder = StandInFinder()
    for name in ("tensorflow", "tensorflow.python.ops", "keras", "keras.utils.tf_utils"):
        assert finder.find_spec(name) is not None, name
    for name in ("tensorflow_text", "kerasx", "numpy", "rasa.utils.tensorflow"):
        assert finder.find_spec(name) is None, name


@pytest.fixture
def no_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's import path, restored after the test."""
    kept = [finder for finder in sys.meta_path if type(finder) is not StandInFinder]
    monkeypatch.setattr(sys, "meta_path", kept)


def test_installs_nothing_once_tensorflow_is_loaded(
    no_finder: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not without_tensorflow.install()
    assert not without_tensorflow.installed()
    assert "TensorFlow stays loaded: tensorflow already loaded" in caplog.text


def test_installs_nothing_on_another_rasa_version(
    no_finder: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setattr(without_tensorflow, "_rasa_version", lambda: "3.6.22")
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not without_tensorflow.install()
    assert not without_tensorflow.installed()
    assert "written for rasa 3.6.21, found 3.6.22" in caplog.text


def test_the_model_reads_a_thousand_messages_exactly_as_with_tensorflow(
    trained_agent: Any,
) -> None:
    cases = load_all(*sorted((PROJECT_ROOT / "tests/data/blind").glob("[af]_*.yml")))
    texts = [case.text for case in cases if isinstance(case, Case)][:1000]
    assert len(texts) == 1000
    done = python("-c", PARSE_WITH_STAND_INS, str(DEFAULT_MODEL), stdin=json.dumps(texts))
    with_stand_ins = json.loads(done.stdout.splitlines()[-1])
    # Rasa loaded no TensorFlow, Keras or JAX: only the stand-ins.
    assert with_stand_ins["loaded"] == {"keras": "StandInModule", "tensorflow": "StandInModule"}

    async def read_all() -> list[dict[str, Any]]:
        return [await trained_agent.parse_message(text) for text in texts]

    # Everything the pipeline adds: intent, ranking, safety entities, the
    # question parts and follow-up readings of core/context.py.
    assert with_stand_ins["readings"] == [as_json(parsed) for parsed in asyncio.run(read_all())]


def test_the_server_runs_without_tensorflow_and_training_keeps_it() -> None:
    server = python("-m", "rasa_server", "--version")
    assert "TensorFlow and Keras stay unloaded" in server.stderr
    training = python(
        "-c",
        "import sys, rasa_server.__main__ as entry\n"
        "sys.argv = ['rasa_server', 'train', '--help']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(entry.without_tensorflow.installed(), type(sys.modules['tensorflow']).__name__)",
    )
    assert training.stdout.splitlines()[-1] == "False module"
    assert "TensorFlow and Keras stay unloaded" not in training.stderr
