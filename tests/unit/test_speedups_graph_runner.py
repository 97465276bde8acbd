"""The plain-Python graph runner gives exactly what Rasa's dask runner gives, on our model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_server.patches import graph_runner

DASK_RUN = graph_runner.DASK_RUN  # Rasa's own, kept before install() replaced it
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
def runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def use(run: Any) -> None:
        monkeypatch.setattr(DaskGraphRunner, "run", run)

    yield use


def parse(agent: Agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize("text", TEXTS)
def test_messages_are_understood_the_same(agent: Agent, runner: Any, text: str) -> None:
    runner(DASK_RUN)
    expected = parse(agent, text)
    runner(graph_runner.run)
    assert parse(agent, text) == expected


@pytest.mark.parametrize("text", TEXTS)
def test_next_actions_are_predicted_the_same(agent: Agent, runner: Any, text: str) -> None:
    runner(DASK_RUN)
    understood = parse(agent, text)
    tracker = DialogueStateTracker.from_events(
        "patient",
        [
            ActionExecuted("action_listen"),
            UserUttered(text, understood["intent"], understood["entities"]),
        ],
        agent.domain.slots,
    )
    expected = agent.processor._predict_next_with_tracker(tracker)
    runner(graph_runner.run)
    predicted = agent.processor._predict_next_with_tracker(tracker)
    assert (predicted.max_confidence_index, predicted.policy_name, predicted.probabilities) == (
        expected.max_confidence_index,
        expected.policy_name,
        expected.probabilities,
    )


def test_an_input_named_like_a_node_is_refused(agent: Agent, runner: Any) -> None:
    runner(graph_runner.run)
    graph = agent.processor.graph_runner
    node = next(iter(graph._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        graph.run(inputs={"__message__": node}, targets=[agent.processor.model_metadata.nlu_target])


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
