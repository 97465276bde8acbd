"""Speed-ups to the Rasa server's internals that keep its behaviour.

Each replaces one Rasa 3.6 function that profiling under load showed costing
far more than its job, and has a test that Rasa's behaviour is unchanged.
`install()` runs when the Rasa server loads our REST channel (credentials.yml);
the channel also freezes the heap once the model is loaded (`frozen_heap`).
"""

from __future__ import annotations

from rasa_server.patches import action_reply_check, count_vectors, graph_runner, sanic_workers


def install() -> None:
    action_reply_check.install()
    count_vectors.install()
    graph_runner.install()
    sanic_workers.install()
