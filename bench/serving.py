"""Serving figures alone, for one trained model: to tell what changed a latency.

`make bench` trains, cross-validates and scores both configurations (hours).
When only serving moved, this runs `bench.run`'s serving phases for a model
you name, in about three minutes: closed loops of 1 and 10 conversations,
10 conversations paced at 50 messages/s, a short soak, then memory. Run it
for each variant back to back, on a quiet machine, and compare the Rasa
server's CPU per message first: steal and other load skew latencies, not that.

    python -m bench.serving --model models/current.tar.gz --out /tmp/serving.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.run import FULL, serve_and_measure

SERVING = replace(
    FULL, name="serving", folds=0, load_seconds=30, levels=(1, 10), soak=(20, 5, 5),
    train=False, blind=False,
)  # fmt: skip


def summary(results: dict) -> list[str]:
    lines = []
    for phase in [*results["load"], results["paced"]]:
        paced = (
            f" paced at {phase['offered_per_second']:g}/s" if "offered_per_second" in phase else ""
        )
        lines.append(
            f"{phase['concurrency']:>2} conversations{paced}: p50/p95/p99 "
            f"{phase['p50_ms']:.1f}/{phase['p95_ms']:.1f}/{phase['p99_ms']:.1f} ms, "
            f"{phase['messages_per_second']} msg/s, "
            f"Rasa CPU {phase['rasa_server_cpu_ms_per_message']} ms/msg"
        )
    lines.append(f"Rasa server PSS {results['rasa_server_pss_mb']} MB")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = asyncio.run(serve_and_measure(args.model, SERVING, Path(work)))
    results["model"] = str(args.model)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("\n".join(summary(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
