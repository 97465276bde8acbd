"""Keeps TensorFlow and Keras out of the Rasa server, which never runs them.

None of this assistant's components uses TensorFlow (config.yml: count
vectors, a linear classifier, rules), yet Rasa 3.6 imports it, and Keras
with it, while loading any model: the policies' featurizers import
`rasa.utils.train_utils`, and the model's training schema names Rasa's
recipe validator, which imports DIET. They only define classes there:
TensorFlow types in annotations, Keras layers as base classes. Loading
TensorFlow for that cost 370 MB of memory in every Rasa server process and
a few seconds of start-up (bench/NOTES.md, "TensorFlow stays out").

`install()` puts stand-ins for those packages on the import path. A
stand-in module hands out stand-in classes for any name, so Rasa's modules
import and define their classes as before; nothing TensorFlow would compute
is ever faked: creating or calling any stand-in, or a class built on one,
raises `TensorFlowNotLoaded` at once. A model whose components need
TensorFlow (DIET, TED, a language-model featurizer) therefore fails to load
with that message, and runs with plain `rasa run`.

Installed only by the Rasa server's entry point (`python -m rasa_server
run`), before anything imports Rasa, and only on the Rasa version whose
imports were checked; never for training, which needs the real packages.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import logging
import sys
import types
from typing import Any

logger = logging.getLogger("rasa_server.patches")

# Packages Rasa 3.6.21 imports while loading a model, and only uses in
# components this assistant does not run. Checked for that version only.
STOOD_IN = ("tensorflow", "keras")
WRITTEN_FOR_RASA = "3.6.21"


class TensorFlowNotLoaded(RuntimeError):
    """Something tried to use TensorFlow in the Rasa server, where it is not loaded."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is not available: the Rasa server runs without TensorFlow "
            "(rasa_server/without_tensorflow.py). A model whose components need "
            "TensorFlow must be served with plain `rasa run`."
        )


def _is_dunder(name: str) -> bool:
    # Python's own protocols (copy, pickle, inspect, typing) probe these:
    # a stand-in must answer "no such attribute", as a plain class does.
    return name.startswith("__") and name.endswith("__")


class StandInType(type):
    """The type of every stand-in class: any missing name is another stand-in."""

    def __getattr__(cls, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        return stand_in(f"{cls.__module__}.{cls.__qualname__}.{name}")

    def __call__(cls, *_args: Any, **_kwargs: Any) -> Any:
        raise TensorFlowNotLoaded(cls.__stood_in_for__)


def stand_in(qualified_name: str) -> StandInType:
    """A class named after the TensorFlow or Keras name it stands in for."""
    module, _, name = qualified_name.rpartition(".")
    return StandInType(
        name,
        (),
        {"__module__": module, "__qualname__": name, "__stood_in_for__": qualified_name},
    )


class StandInModule(types.ModuleType):
    """A stood-in package or module: each name it is asked for is a stand-in class."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__path__: list[str] = []  # a package, so its submodules import too

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        made = stand_in(f"{self.__name__}.{name}")
        setattr(self, name, made)  # the same class each time, as a real module gives
        return made


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return StandInModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """A stand-in runs no code."""


class StandInFinder(importlib.abc.MetaPathFinder):
    """Answers imports of the stood-in packages, and of their submodules, with stand-ins."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.partition(".")[0] not in STOOD_IN:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


def installed() -> bool:
    return any(isinstance(finder, StandInFinder) for finder in sys.meta_path)


def _rasa_version() -> str | None:
    # From the installed package's metadata: importing `rasa` loads far more.
    try:
        return importlib.metadata.version("rasa")
    except importlib.metadata.PackageNotFoundError:
        return None


def install() -> bool:
    """Puts the stand-ins in place if nothing has loaded the real packages yet.

    Returns True once they are in place. On another Rasa version, or once
    TensorFlow or Keras is loaded, it logs why and changes nothing: Rasa then
    loads them as shipped, which is correct, only larger.
    """
    if installed():
        return True
    version = _rasa_version()
    loaded = sorted(name for name in STOOD_IN if name in sys.modules)
    if version != WRITTEN_FOR_RASA:
        reason = f"written for rasa {WRITTEN_FOR_RASA}, found {version}"
    elif loaded:
        reason = f"{', '.join(loaded)} already loaded"
    else:
        sys.meta_path.insert(0, StandInFinder())
        logger.info("TensorFlow and Keras stay unloaded: stand-ins define Rasa's classes")
        return True
    logger.warning("TensorFlow stays loaded: %s. Rasa runs as shipped, only larger.", reason)
    return False
