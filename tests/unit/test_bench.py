"""The benchmark's report and command line, on made-up results (the run itself: tests/server/)."""

from __future__ import annotations

import json
import sys

from bench.report import write_benchmarks_md


def test_report_renders_a_row_per_measure(tmp_path, monkeypatch) -> None:
    import bench.report as report

    monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
    entry = {"concurrency": 10, "p50_ms": 20, "p95_ms": 40, "p99_ms": 60,
             "messages_per_second": 80, "errors": 0,
             "rasa_server_cpu_ms_per_message": 9.5}  # fmt: skip
    paced = {**entry, "offered_per_second": 50.0, "p50_ms": 30}
    config = {"topic_accuracy": 0.96, "train_cold_s": 80, "load": [entry], "paced": paced,
              "rasa_server_pss_mb": 700, "most_confused": [], "blind_emergency_recall": 0.97,
              "soak": {"messages_sent": 10, "errors": 0, "user_messages_stored": 10}}  # fmt: skip
    write_benchmarks_md({"machine": {"date": "d", "cpus": 2, "memory_gb": 24, "python": "3.10"},
                         "configs": {"ours": config, "rasa_default": config}})  # fmt: skip
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| Held-out topic accuracy (intent) | 96.0% | 96.0% |" in text
    assert "| 10 concurrent: p50 | 20 ms | 20 ms |  |" in text
    assert "| 10 concurrent: messages/s | 80 | 80 | >= 50 |" in text
    assert "| 10 concurrent: Rasa server CPU per message | 9.5 ms | 9.5 ms |  |" in text
    assert "| 10 paced at 50 msg/s: p50 | 30 ms | 30 ms | <= 30 ms |" in text
    assert "| Rasa server memory (PSS, all its processes) | 700 MB | 700 MB | <= 1024 MB |" in text
    assert "| Blind sets: emergency recall | 97.0% | 97.0% | 100% |" in text


def test_cross_validation_alone_adds_to_existing_results(tmp_path, monkeypatch) -> None:
    import bench.run as run

    out = tmp_path / "full.json"
    out.write_text(json.dumps({"complete": False, "configs": {"ours": {"train_cold_s": 40}}}))
    calls = []

    def fake_cross_validate(config, folds, work):
        calls.append((config.name, folds))
        return {"cv_accuracy": 0.9, "cv_macro_f1": 0.8}

    monkeypatch.setattr(run, "cross_validate", fake_cross_validate)
    run.cross_validate_into(out, ["ours", "rasa_default"], 5)

    configs = json.loads(out.read_text())["configs"]
    assert calls == [("config.yml", 5), ("rasa_default.yml", 5)]
    assert configs["ours"] == {"train_cold_s": 40, "cv_accuracy": 0.9, "cv_macro_f1": 0.8}
    assert configs["rasa_default"]["cv_accuracy"] == 0.9


def test_report_says_when_a_run_stopped_early(tmp_path, monkeypatch) -> None:
    import bench.report as report

    monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
    config = {"load": [], "most_confused": [],
              "soak": {"messages_sent": 0, "errors": 0, "user_messages_stored": 0}}  # fmt: skip
    machine = {"date": "d", "cpus": 2, "memory_gb": 24, "python": "3.10"}
    write_benchmarks_md({"complete": False, "machine": machine, "configs": {"ours": config}})
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "stopped before its last phases" in text
    assert "| 5-fold CV accuracy (all intents) | - |" in text


def test_only_the_full_results_file_redraws_benchmarks_md(tmp_path, monkeypatch) -> None:
    import bench.report as report
    import bench.run as run

    drawn = []
    monkeypatch.setattr(report, "write_benchmarks_md", drawn.append)
    monkeypatch.setattr(run, "cross_validate_into", lambda out, names, folds: {"out": str(out)})

    for out in (tmp_path / "elsewhere.json", report.RESULTS):
        monkeypatch.setattr(sys, "argv", ["bench.run", "--only-cv", "--out", str(out)])
        assert run.main() == 0
    assert drawn == [{"out": str(report.RESULTS)}]


def test_skipping_cross_validation_keeps_the_rest_of_the_budget(tmp_path, monkeypatch) -> None:
    import bench.run as run

    budgets = []

    async def fake_run(budget, names, out):
        budgets.append(budget)
        return {}

    monkeypatch.setattr(run, "run", fake_run)
    monkeypatch.setattr(sys, "argv", ["bench.run", "--skip-cv", "--out", str(tmp_path / "x.json")])
    assert run.main() == 0
    assert budgets == [run.replace(run.FULL, folds=0)]
    assert budgets[0].load_seconds == run.FULL.load_seconds


def test_serving_summary_names_each_phase_and_its_cpu() -> None:
    from bench.serving import SERVING, summary

    entry = {"concurrency": 10, "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 60.0,
             "messages_per_second": 80, "rasa_server_cpu_ms_per_message": 9.5}  # fmt: skip
    paced = {**entry, "offered_per_second": 50.0, "p50_ms": 30.0}
    lines = summary({"load": [entry], "paced": paced, "rasa_server_pss_mb": 550.2})
    assert lines == [
        "10 conversations: p50/p95/p99 20.0/40.0/60.0 ms, 80 msg/s, Rasa CPU 9.5 ms/msg",
        "10 conversations paced at 50/s: p50/p95/p99 30.0/40.0/60.0 ms, 80 msg/s, "
        "Rasa CPU 9.5 ms/msg",
        "Rasa server PSS 550.2 MB",
    ]
    assert (SERVING.train, SERVING.blind, SERVING.folds) == (False, False, 0)
