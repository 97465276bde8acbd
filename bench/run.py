"""`make bench`: our config.yml and Rasa's default, side by side, in one run, on this machine.

    python -m bench.run            # full budget (more than 5 hours on 2 cores)
    python -m bench.run --quick    # tiny budget: checks the scripts run (make test)
    python -m bench.run --skip-cv  # everything but cross-validation (the default's
                                   # DIET training alone takes over 40 minutes)
    python -m bench.run --skip-cv --configs ours   # ours alone, about 6 minutes
    python -m bench.run --only-cv --configs rasa_default
                                   # cross-validation alone, merged into full.json
                                   # (the default config's took 2 h 14 min on the
                                   # 5,000 examples of 2026-11-22; training time
                                   # grows with the data: BENCHMARKS.md has today's)

Writes bench/results/<budget>.json (or --out) and, when that is
bench/results/full.json, the table in BENCHMARKS.md. Both configurations
are trained on the same data, served by the same action server, and loaded
with the same messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from bench.latency import latency_summary
from bench.soak import patient_messages, soak
from core.contract import reply_kinds
from tools.evaluate_cases import evaluate as evaluate_cases
from tools.evaluate_cases import load_cases
from tools.evaluate_holdout import holdout_examples
from tools.processes import (
    NO_RATE_LIMITS,
    PROJECT_ROOT,
    VENV_BIN,
    action_server,
    assistant_env,
    free_port,
    lock_store_config,
    rasa_server,
    redis_server,
    tracker_store_config,
)

BENCH = PROJECT_ROOT / "bench"
BLIND_SETS = PROJECT_ROOT / "tests" / "data" / "blind"
CONFIGS = {"ours": PROJECT_ROOT / "config.yml", "rasa_default": BENCH / "configs/rasa_default.yml"}
TOPICS = {p.stem for p in (PROJECT_ROOT / "content" / "answers").glob("*.yml")}
REJECTIONS = {"out_of_scope", "nlu_fallback"}


@dataclass(frozen=True)
class Budget:
    name: str
    folds: int
    load_seconds: float
    levels: tuple[int, ...]  # closed loops: each conversation sends as soon as answered
    paced: tuple[int, float]  # conversations, messages per second offered in all
    soak: tuple[int, int, int]  # conversations, turns, concurrency
    train: bool
    blind: bool  # score the blind sets over REST (about a minute per config)


FULL = Budget(
    "full", folds=5, load_seconds=60, levels=(1, 10, 50), paced=(10, 50.0), soak=(200, 5, 20),
    train=True, blind=True,
)  # fmt: skip
QUICK = Budget(
    "quick", folds=0, load_seconds=2, levels=(1, 2), paced=(2, 4.0), soak=(4, 2, 2), train=False,
    blind=False,
)  # fmt: skip
# Rasa server processes (Sanic workers) on this 2-core machine; several need
# the Redis lock store, which keeps each conversation's turns in order.
WORKERS = 2


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def cpu_jiffies() -> tuple[int, int]:
    """(stolen, total) CPU time since boot, from /proc/stat."""
    first_line = Path("/proc/stat").read_text().split("\n", 1)[0]
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, first_line.split()[1:9])
    return steal, user + nice + system + idle + iowait + irq + softirq + steal


class StealMeter:
    """The share of CPU time the hypervisor gave to other machines while a phase ran.

    This machine is a virtual machine: a busy neighbour slows every timing here,
    so each timing is reported with the steal measured while it ran.
    """

    def __init__(self) -> None:
        self.start = cpu_jiffies()

    def percent(self) -> float:
        (stolen_before, total_before), (stolen, total) = self.start, cpu_jiffies()
        return round(100 * (stolen - stolen_before) / max(1, total - total_before), 1)


# --- training ------------------------------------------------------------------


# As `make train` trains: Rasa's command line with the training speed-ups.
TRAIN = (str(VENV_BIN / "python"), "-m", "rasa_server", "train")


def train(config: Path, out: Path, cache: Path) -> tuple[Path, float]:
    """Trains with an empty (cold) or a kept (warm) component cache; returns model and seconds."""
    env = assistant_env(RASA_CACHE_DIRECTORY=str(cache))
    started = time.perf_counter()
    subprocess.run(
        [*TRAIN, "--config", str(config), "--out", str(out), "--fixed-model-name", "model",
         "--domain", "domain.yml", "--data", "data"],
        cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return out / "model.tar.gz", time.perf_counter() - started


def retrain_after_response_edit(config: Path, out: Path, cache: Path) -> float:
    """How a tutorial-style bot (answers as domain responses) pays for a content edit."""
    work = Path(tempfile.mkdtemp(prefix="bench-domain-"))
    domain = (PROJECT_ROOT / "domain.yml").read_text()
    edited = domain.replace("You're welcome.", "You are very welcome.", 1)
    assert edited != domain
    (work / "domain.yml").write_text(edited)
    env = assistant_env(RASA_CACHE_DIRECTORY=str(cache))
    started = time.perf_counter()
    subprocess.run(
        [*TRAIN, "--config", str(config), "--out", str(out), "--fixed-model-name", "edited",
         "--domain", str(work / "domain.yml"), "--data", "data"],
        cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


# --- NLU -------------------------------------------------------------------------


def macro_f1(pairs: list[tuple[str, str]], labels: set[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for gold, got in pairs if gold == label and got == label)
        fp = sum(1 for gold, got in pairs if gold != label and got == label)
        fn = sum(1 for gold, got in pairs if gold == label and got != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return statistics.mean(scores) if scores else 0.0


async def nlu_scores(model: Path) -> dict[str, Any]:
    """Intent-level scores on the held-out set (the REST-level score is in make test)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa would log every parsed message
    agent = Agent.load(str(model))
    pairs = []
    for gold, text in holdout_examples():
        parsed = await agent.parse_message(text)
        pairs.append((gold, parsed["intent"]["name"]))
    topic_pairs = [(g, p) for g, p in pairs if g in TOPICS]
    out_of_scope = [p for g, p in pairs if g == "out_of_scope"]
    confused = Counter((g, p) for g, p in topic_pairs if g != p)
    return {
        "topic_accuracy": round(sum(g == p for g, p in topic_pairs) / len(topic_pairs), 4),
        "topic_macro_f1": round(macro_f1(topic_pairs, TOPICS), 4),
        "out_of_scope_rejected": round(
            sum(p in REJECTIONS for p in out_of_scope) / len(out_of_scope), 4
        ),
        "most_confused": [f"{g} -> {p} ({n})" for (g, p), n in confused.most_common(5)],
    }


def cross_validate(config: Path, folds: int, out: Path) -> dict[str, Any]:
    subprocess.run(
        [str(VENV_BIN / "rasa"), "test", "nlu", "--nlu", "data", "--config", str(config),
         "--cross-validation", "--folds", str(folds), "--out", str(out)],
        cwd=PROJECT_ROOT, env=assistant_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    report = json.loads((out / "intent_report.json").read_text())
    return {
        "cv_accuracy": round(report["accuracy"], 4),
        "cv_macro_f1": round(report["macro avg"]["f1-score"], 4),
    }


def blind_scores(url: str) -> dict[str, Any]:
    """Safety and understanding on the blind sets (tests/data/blind), over REST.

    Both configurations run behind the same safety screen and dialogue, so
    the difference is what their intent models catch on language we did not write.
    """
    report = evaluate_cases(url, load_cases(*sorted(BLIND_SETS.glob("*.yml"))))
    return {
        "blind_emergency_recall": round(report.emergency_recall.rate, 4),
        "blind_emergency_category": round(report.emergency_category.rate, 4),
        "blind_disclosure_recall": round(report.disclosure_recall.rate, 4),
        "blind_false_alarm_rate": round(report.false_alarms.rate, 4),
        "blind_out_of_scope_fallback": round(report.out_of_scope.rate, 4),
        "blind_topic_accuracy": round(report.topics.rate, 4),
    }


# --- serving ---------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def first_answer(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                body = {"sender": f"start-{uuid.uuid4()}", "message": "what is ketamine?"}
                async with session.post(url, json=body) as response:
                    if response.status == 200 and any(
                        (i.get("custom") or {}).get("kind") == "answer"
                        for i in await response.json()
                    ):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("no first answer")


async def load(
    url: str, concurrency: int, seconds: float, seed: int = 3, rate: float | None = None
) -> dict[str, Any]:
    """`concurrency` patients, each sending a 5-message conversation, then another.

    Without `rate`, a closed loop: each sends its next message as soon as it
    is answered, which measures the most the server can take. With `rate`
    (messages per second, all patients together), each patient sends on a
    fixed schedule, as Locust's constant pacing does, which measures the
    latency a patient sees while the server carries that load; a patient
    whose answer comes late sends its next message at once.
    """
    rng = random.Random(seed)
    messages = patient_messages()
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    interval = concurrency / rate if rate else 0.0

    async def patient(number: int) -> None:
        nonlocal errors
        next_send = time.monotonic() + number * interval / concurrency  # staggered starts
        # Each patient is its own client with its own connection, as each
        # browser is: the server's workers share the connections between them.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while time.monotonic() < stop:
                sender = f"load-{uuid.uuid4()}"
                for message in rng.sample(messages, 5):
                    await asyncio.sleep(max(0.0, next_send - time.monotonic()))
                    if time.monotonic() >= stop:
                        return
                    next_send = max(next_send + interval, time.monotonic())
                    started = time.perf_counter()
                    try:
                        body = {"sender": sender, "message": message}
                        async with session.post(url, json=body) as response:
                            answer = await response.json()
                            ok = response.status == 200 and bool(reply_kinds(answer))
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        ok = False
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(patient(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        **({"offered_per_second": rate} if rate else {}),
        "messages": len(latencies),
        "messages_per_second": round(len(latencies) / elapsed, 1),
        **latency_summary(latencies),
        "errors": errors,
    }


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (the Rasa server's Sanic workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children.get(current, [])
    return tree


ESTABLISHED, LISTENING = "01", "0A"  # TCP states as /proc/net/tcp writes them


def sockets_on_port(pid: int, port: int, state: str) -> int:
    """The process's sockets on local `port` in `state`, from /proc (no tools needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state and fields[9] in inodes:
                count += 1
    return count


async def all_workers_listening(
    rasa_pid: int, port: int, workers: int, deadline: float
) -> list[int]:
    """The Sanic worker pids, once each listens on the port.

    Each worker loads the model before it binds, so the first answer can come
    from one worker while another still loads; a load started then would put
    every kept-alive connection on the first.
    """
    while time.monotonic() < deadline:
        pids = process_tree(rasa_pid)[1:] if workers > 1 else [rasa_pid]
        if len(pids) == workers and all(sockets_on_port(p, port, LISTENING) for p in pids):
            return pids
        await asyncio.sleep(0.5)
    raise TimeoutError(f"not all {workers} Rasa server workers listen on port {port}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants so far."""
    ticks = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants: shared pages counted once."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


async def measured_load(
    url: str, servers: dict[str, int], concurrency: int, seconds: float, rate: float | None = None
) -> dict[str, Any]:
    """`load`, plus the CPU each server spent per message: a figure CPU steal cannot skew."""
    before = {name: cpu_seconds(pid) for name, pid in servers.items()}
    steal = StealMeter()
    result = await load(url, concurrency, seconds, rate=rate)
    result["steal_pct"] = steal.percent()
    for name, pid in servers.items():
        spent = cpu_seconds(pid) - before[name]
        result[f"{name}_cpu_ms_per_message"] = round(spent * 1000 / max(1, result["messages"]), 1)
    return result


async def serve_and_measure(model: Path, budget: Budget, work: Path) -> dict[str, Any]:
    with redis_server(work) as lock_url:
        return await _serve_and_measure(model, budget, work, lock_url)


async def _serve_and_measure(
    model: Path, budget: Budget, work: Path, lock_url: str
) -> dict[str, Any]:
    rasa_port, action_port = free_port(), free_port()
    tracker_db = work / "trackers.db"
    env = {
        "HANDOFF_DB_URL": f"sqlite:///{work / 'handoffs.db'}",
        "HANDOFF_SPOOL": str(work / "spool.jsonl"),
    }
    actions = action_server(action_port, log_path=work / "actions.log", **env)
    rasa = rasa_server(
        rasa_port, action_port, model=model, log_path=work / "rasa.log",
        tracker_store=tracker_store_config(sqlite_path=tracker_db),
        lock_store=lock_store_config(lock_url), SANIC_WORKERS=str(WORKERS), **env,
        **NO_RATE_LIMITS,  # hundreds of messages a minute from 127.0.0.1
    )  # fmt: skip
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    started = time.monotonic()
    actions.start()
    rasa.start()
    try:
        await first_answer(url, started + 300)
        results: dict[str, Any] = {
            "start_to_first_answer_s": round(time.monotonic() - started, 1),
            "rasa_server_workers": WORKERS,
        }
        await all_workers_listening(rasa.process.pid, rasa_port, WORKERS, started + 300)
        if budget.blind:
            results.update(await asyncio.to_thread(blind_scores, url))
        servers = {"rasa_server": rasa.process.pid, "action_server": actions.process.pid}
        results["load"] = [
            await measured_load(url, servers, level, budget.load_seconds) for level in budget.levels
        ]
        conversations, rate = budget.paced
        results["paced"] = await measured_load(
            url, servers, conversations, budget.load_seconds, rate=rate
        )
        conversations, turns, concurrency = budget.soak
        soaked = await soak(url, conversations, turns, concurrency, f"sqlite:///{tracker_db}")
        results["soak"] = soaked.summary()
        rasa_processes = process_tree(rasa.process.pid)
        results["rasa_server_pss_mb"] = pss_mb(rasa.process.pid)
        results["rasa_server_peak_rss_mb"] = max(peak_rss_mb(p) for p in rasa_processes)
        results["rasa_server_processes"] = len(rasa_processes)
        results["action_server_peak_rss_mb"] = peak_rss_mb(actions.process.pid)
        return results
    finally:
        rasa.stop()
        actions.stop()


# --- the run ---------------------------------------------------------------------


async def run_phases(
    budget: Budget, names: list[str], work: Path, save: Callable[[dict], Any]
) -> dict[str, dict]:
    """Latency-sensitive phases first, both configs back to back; cross-validation last.

    `save` is called after every phase, so a long run stopped early keeps what it measured.
    """
    results: dict[str, dict] = {
        n: {"config": str(CONFIGS[n].relative_to(PROJECT_ROOT))} for n in names
    }
    models = {n: PROJECT_ROOT / "models" / "current.tar.gz" for n in names}
    if budget.train:
        for name in names:
            cache = work / name / "cache"
            log(f"{name}: cold training")
            steal = StealMeter()
            models[name], seconds = train(CONFIGS[name], work / name / "models", cache)
            results[name]["train_cold_s"] = round(seconds, 1)
            results[name]["steal_pct_training"] = steal.percent()
            log(f"{name}: retraining after a response edit (warm cache)")
            results[name]["retrain_after_response_edit_s"] = round(
                retrain_after_response_edit(CONFIGS[name], work / name / "models", cache), 1
            )
            save(results)
    for name in names:
        log(f"{name}: held-out NLU")
        results[name].update(await nlu_scores(models[name]))
    save(results)
    for name in names:
        log(f"{name}: serving, load and soak")
        serving = work / name / "serving"
        serving.mkdir(parents=True, exist_ok=True)
        steal = StealMeter()
        results[name].update(await serve_and_measure(models[name], budget, serving))
        results[name]["steal_pct_serving"] = steal.percent()
        save(results)
    if budget.folds:
        for name in names:
            log(f"{name}: {budget.folds}-fold cross-validation")
            results[name].update(cross_validate(CONFIGS[name], budget.folds, work / name / "cv"))
            save(results)
    return results


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def cross_validate_into(out: Path, names: list[str], folds: int) -> dict[str, Any]:
    """Adds cross-validation figures to an existing results file, one config at a time."""
    results = json.loads(out.read_text())
    work = Path(tempfile.mkdtemp(prefix="bench-cv-"))
    try:
        for name in names:
            log(f"{name}: {folds}-fold cross-validation")
            results["configs"].setdefault(name, {}).update(
                cross_validate(CONFIGS[name], folds, work / name)
            )
            out.write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


async def run(budget: Budget, names: list[str], out: Path) -> dict[str, Any]:
    def save(configs: dict, complete: bool = False) -> dict[str, Any]:
        results = {
            "budget": budget.name,
            "complete": complete,
            "machine": machine(),
            "configs": configs,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
        return results

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        configs = await run_phases(budget, names, work, save)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return save(configs, complete=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny budget, no training")
    parser.add_argument(
        "--only-cv",
        action="store_true",
        help="only cross-validate, adding the figures to an existing results file",
    )
    parser.add_argument(
        "--skip-cv",
        action="store_true",
        help="leave cross-validation out (add it later with --only-cv)",
    )
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument(
        "--out", type=Path, help="results file (default bench/results/<budget>.json)"
    )
    args = parser.parse_args()
    budget = QUICK if args.quick else FULL
    if args.skip_cv:
        budget = replace(budget, folds=0)
    out = args.out or BENCH / "results" / f"{budget.name}.json"
    if args.only_cv:
        results = cross_validate_into(out, args.configs, FULL.folds)
    else:
        results = asyncio.run(run(budget, args.configs, out))
    log(f"results written to {out}")
    from bench.report import RESULTS, write_benchmarks_md

    if out.resolve() == RESULTS.resolve():  # a run written elsewhere leaves the table alone
        write_benchmarks_md(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
