"""The benchmark scripts run (on a tiny budget: the figures come from `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.settings import PROJECT_ROOT
from tools.processes import assistant_env

pytestmark = pytest.mark.server


def test_quick_benchmark_writes_every_figure(tmp_path) -> None:
    """Starts its own servers, through bench.run: what it measures (start-up, memory, CPU
    per message, the workers) is of servers it started itself."""
    out = tmp_path / "quick.json"
    subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--configs", "ours", "--out", str(out)],
        cwd=PROJECT_ROOT, env=assistant_env(), check=True, timeout=600,
    )  # fmt: skip
    results = json.loads(out.read_text())
    ours = results["configs"]["ours"]
    expected = {
        "topic_accuracy",
        "topic_macro_f1",
        "out_of_scope_rejected",
        "start_to_first_answer_s",
        "rasa_server_peak_rss_mb",
        "rasa_server_pss_mb",
        "action_server_peak_rss_mb",
    }
    assert expected <= ours.keys()
    assert ours["rasa_server_processes"] == 1 + ours["rasa_server_workers"]  # workers answered
    assert [entry["concurrency"] for entry in ours["load"]] == [1, 2]
    assert ours["paced"]["offered_per_second"] == 4.0
    for entry in [*ours["load"], ours["paced"]]:
        assert entry["errors"] == 0 and entry["messages"] > 0
        assert entry["rasa_server_cpu_ms_per_message"] > 0
    assert ours["soak"]["user_messages_stored"] == ours["soak"]["messages_sent"]
