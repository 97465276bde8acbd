"""Speed-ups to the Rasa server's internals that keep its behaviour.

Each replaces one private Rasa or Sanic function that profiling under load
showed costing far more than its job (BENCHMARKS.md), and has a test, through
Rasa's own call path, that it takes effect and that Rasa's behaviour is
unchanged. Importing this package changes nothing: `install()` is called
once, by the Rasa server's entry point (`python -m rasa_server`,
rasa_server/__main__.py). Each speed-up installs only on the Rasa, Sanic and
Python versions it was written for, and only over the exact code it was
written against (rasa_server/version_guard.py); otherwise it logs a warning
and Rasa runs as shipped.
"""

from __future__ import annotations

from rasa_server.patches import action_reply_check, graph_runner, sanic_workers
from rasa_server.patches.patch import Patch

PATCHES: tuple[Patch, ...] = (action_reply_check.PATCH, graph_runner.PATCH, sanic_workers.PATCH)


def install() -> list[str]:
    """Installs every speed-up that fits; returns the names of those in place.

    Installing again is harmless: what is in place stays, nothing is logged twice.
    """
    return [patch.name for patch in PATCHES if patch.install()]
