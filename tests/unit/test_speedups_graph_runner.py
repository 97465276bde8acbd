"""The plain-Python graph runner gives exactly what Rasa's dask runner gives, on our model.

Messages go through Rasa's own call path (`Agent.parse_message`, the
processor's prediction), so the tests fail if Rasa stopped running its graph
with the method the speed-up replaces.
"""

from __future__ import annotations

import asyncio
import logging

import dask
import pytest
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_server.patches import graph_runner

PATCH = graph_runner.PATCH
TEXTS = [
    "what are the side effects of ketamine",
    "how much does it cost",
    "I have schizophrenia",
    "I want to kill myself",
    "hi",
    "asdkjh qwe",
    "",
]


@pytest.fixture
def agent(trained_agent: Agent) -> Agent:
    return trained_agent


@pytest.fixture
def dask_runs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each graph run dask schedules."""
    runs: list[object] = []
    get = dask.get
    monkeypatch.setattr(
        dask, "get", lambda graph, *a, **k: runs.append(graph) or get(graph, *a, **k)
    )
    return runs


def parse(agent: Agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize("text", TEXTS)
def test_messages_are_understood_the_same_without_dask(
    agent: Agent, unpatched: None, dask_runs: list[object], text: str
) -> None:
    expected = parse(agent, text)
    assert dask_runs, "Rasa no longer runs its graph through DaskGraphRunner.run"
    assert PATCH.install()
    dask_runs.clear()
    assert parse(agent, text) == expected
    assert not dask_runs


@pytest.mark.parametrize("text", TEXTS)
def test_next_actions_are_predicted_the_same_without_dask(
    agent: Agent, unpatched: None, dask_runs: list[object], text: str
) -> None:
    understood = parse(agent, text)
    tracker = DialogueStateTracker.from_events(
        "patient",
        [
            ActionExecuted("action_listen"),
            UserUttered(text, understood["intent"], understood["entities"]),
        ],
        agent.domain.slots,
    )
    dask_runs.clear()
    expected = agent.processor._predict_next_with_tracker(tracker)
    assert dask_runs, "Rasa no longer runs its graph through DaskGraphRunner.run"
    assert PATCH.install()
    dask_runs.clear()
    predicted = agent.processor._predict_next_with_tracker(tracker)
    assert not dask_runs
    assert (predicted.max_confidence_index, predicted.policy_name, predicted.probabilities) == (
        expected.max_confidence_index,
        expected.policy_name,
        expected.probabilities,
    )


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(
    agent: Agent, unpatched: None
) -> None:
    graph = agent.processor.graph_runner
    node = next(iter(graph._graph_schema.nodes))
    target = [agent.processor.model_metadata.nlu_target]
    with pytest.raises(GraphRunError) as rasas:
        graph.run(inputs={"__message__": node}, targets=target)
    assert PATCH.install()
    with pytest.raises(GraphRunError, match="clashes with a node name") as ours:
        graph.run(inputs={"__message__": node}, targets=target)
    assert str(ours.value) == str(rasas.value)


def test_each_node_runs_once_after_what_it_needs(agent: Agent) -> None:
    schema = agent.processor.graph_runner._graph_schema
    target = agent.processor.model_metadata.core_target
    order = graph_runner.execution_order(schema, (target,))

    assert order[-1] == target
    assert len(order) == len(set(order)) == len(schema.minimal_graph_schema([target]).nodes)
    for position, name in enumerate(order):
        assert all(
            n not in schema.nodes or n in order[:position]
            for n in schema.nodes[name].needs.values()
        )


def test_on_another_rasa_version_the_graph_runs_through_dask_as_shipped(
    agent: Agent,
    unpatched: None,
    another_rasa_version: str,
    dask_runs: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="rasa_server.patches"):
        assert not PATCH.install()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "Speed-up graph_runner not installed" in caplog.text
    assert parse(agent, "how much does it cost")["intent"]["name"] == "cost"
    assert dask_runs
