"""Speed-ups to the Rasa server's internals that keep its behaviour.

Each replaces one private Rasa or Sanic function that profiling under load
(or training) showed costing far more than its job (BENCHMARKS.md), and has
a test, through Rasa's own call path, that it takes effect and that Rasa's
behaviour is unchanged. Importing this package changes nothing: `install()`
is called once, by the Rasa server's entry point (`python -m rasa_server
run`, rasa_server/__main__.py), and `install_for_training()` by the same
entry point when it trains (`python -m rasa_server train`). Each speed-up
installs only on the Rasa, Sanic and Python versions it was written for, and
only over the exact code it was written against
(rasa_server/version_guard.py); otherwise it logs a warning and Rasa runs as
shipped.
"""

from __future__ import annotations

from rasa_server.patches import action_reply_check, fingerprints, graph_runner, sanic_workers
from rasa_server.patches.patch import Patch

PATCHES: tuple[Patch, ...] = (action_reply_check.PATCH, graph_runner.PATCH, sanic_workers.PATCH)
# Training runs the graph through dask with Rasa's caching hooks: the
# server's graph runner, which skips them, must not be installed there.
TRAINING_PATCHES: tuple[Patch, ...] = (fingerprints.TOKEN_PATCH, fingerprints.FEATURES_PATCH)


def install() -> list[str]:
    """Installs every speed-up that fits; returns the names of those in place.

    Installing again is harmless: what is in place stays, nothing is logged twice.
    """
    return [patch.name for patch in PATCHES if patch.install()]


def install_for_training() -> list[str]:
    """Installs the training speed-ups that fit; returns the names of those in place."""
    return [patch.name for patch in TRAINING_PATCHES if patch.install()]
