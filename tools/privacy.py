"""Patient data commands.

    python -m tools.privacy purge [--days N]     delete conversations, resolved handoff
                                           requests and answer ratings older than N days
                                           (RETENTION_DAYS, default 90); open requests
                                           are kept
    python -m tools.privacy forget CONVERSATION  delete one patient's conversation, handoff
                                           requests, notifications and ratings everywhere

Stores: TRACKER_STORE_URL or TRACKER_DB (default var/data/trackers.db),
HANDOFF_DB_URL (default var/data/handoffs.db), HANDOFF_SPOOL.
"""

from __future__ import annotations

import argparse
import sys

from core.handoffs.store import HandoffStore
from core.privacy import PatientData, retention_days, tracker_db_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.privacy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge", help="apply the retention period")
    purge.add_argument("--days", type=int, default=None)
    commands.add_parser("forget", help="delete one conversation's data").add_argument(
        "conversation"
    )
    args = parser.parse_args(argv)

    data = PatientData(tracker_db_url(), HandoffStore())
    if args.command == "purge":
        days = args.days if args.days is not None else retention_days()
        if days < 1:
            print("error: --days must be at least 1", file=sys.stderr)
            return 2
        report = data.purge(days)
        print(
            f"Older than {days} days: deleted {report.conversations} conversations "
            f"({report.events} events), {report.handoffs} resolved handoff requests "
            f"and {report.ratings} answer ratings."
        )
        if report.open_handoffs_kept:
            print(
                f"Kept {report.open_handoffs_kept} OPEN handoff requests older than that: "
                "resolve them (make handoffs), then purge again."
            )
    else:
        report = data.forget(args.conversation)
        print(
            f"Deleted conversation {args.conversation}: {report.events} events, "
            f"{report.handoffs} handoff requests, {report.spooled} spooled requests, "
            f"{report.ratings} answer ratings."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
