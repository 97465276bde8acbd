"""Runs Rasa's prediction graph in plain Python instead of through dask.

Rasa 3.6 runs its model graph (tokenizer, featurizers, classifiers, policies)
with `dask.get` on every message: once to understand it, and once more for
each action it predicts. Dask's scheduler bookkeeping cost about an eighth of
the Rasa server's CPU per message on this machine, for a graph of ten nodes
that runs one after the other anyway. This runner calls the same nodes in
dependency order, with the same inputs and outputs; the order for each set
of targets is worked out once.

Installed, with the other speed-ups, only by the Rasa server's entry point
(`python -m rasa_server`, rasa_server/__main__.py).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

from rasa_server.patches.patch import Patch
from rasa_server.version_guard import Original, Versions


def execution_order(schema: GraphSchema, targets: tuple[str, ...]) -> tuple[str, ...]:
    """The targets' nodes and everything they need, each after what it needs."""
    minimal = schema.minimal_graph_schema(list(targets)).nodes
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in minimal:  # done, or an input
            return
        for need in minimal[name].needs.values():
            visit(need)
        order.append(name)

    for target in targets:
        visit(target)
    return tuple(order)


def run(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """`DaskGraphRunner.run` without dask: same results, same errors."""
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    orders = self.__dict__.setdefault("_execution_orders", {})
    if run_targets not in orders:
        orders[run_targets] = execution_order(self._graph_schema, run_targets)
    order = orders[run_targets]

    # Each node receives its parents' (name, output) pairs; as with dask, an
    # input or node that is not there is passed as its bare name.
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in order:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        results[name] = (name, value)
    try:
        for name in order:
            needs = self._graph_schema.nodes[name].needs.values()
            results[name] = self._instantiated_nodes[name](*(results.get(n, n) for n in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(results[target] for target in run_targets)


PATCH = Patch(
    name="graph_runner",
    does="the model graph runs in plain Python, not through dask",
    target=Original(DaskGraphRunner, "run", "4685d6b13c1cee60"),
    replacement=run,
    written_for=Versions(rasa="3.6.21", sanic="21.12.2", python="3.10"),
    # How Rasa's run builds the dask graph and adds the inputs to it.
    also_reproduces=(
        Original(DaskGraphRunner, "_build_dask_graph", "258fc362e21739c8"),
        Original(DaskGraphRunner, "_add_inputs_to_graph", "e6488bf954a40aa2"),
    ),
)
