"""Staff command for handoff requests.

    python -m tools.handoffs list [--all]      open requests (or every request)
    python -m tools.handoffs show h-000001     one request with its conversation
    python -m tools.handoffs resolve h-000001  mark it resolved

Uses HANDOFF_DB_URL like the action server (default: var/data/handoffs.db).
"""

from __future__ import annotations

import argparse
import sys

from core.handoffs.store import Handoff, HandoffStore
from core.languages import NAMES


def language_name(code: str) -> str:
    """The patient's language as staff read it: "Spanish (es)"."""
    return f"{NAMES.get(code, 'Unknown language')} ({code})"


def line(handoff: Handoff) -> str:
    conditions = ", ".join(handoff.conditions) or "-"
    contact = handoff.contact_phone or handoff.contact_email or "no contact given"
    return (
        f"{handoff.id}  {handoff.created_at:%Y-%m-%d %H:%M}Z  {handoff.status:8}  "
        f"{handoff.reason:16}  {language_name(handoff.language):12}  "
        f"conditions: {conditions:22}  callback: {handoff.callback} ({contact})"
    )


def show(handoff: Handoff) -> str:
    rows = [
        line(handoff),
        f"conversation: {handoff.conversation_id}",
        f"language: {language_name(handoff.language)}, "
        f"call back in {NAMES.get(handoff.language, handoff.language)}",
        f"triggered by: {handoff.trigger_message}",
    ]
    if handoff.callback == "requested":
        rows.append(
            f"call back: {handoff.contact_name} at "
            f"{handoff.contact_phone or handoff.contact_email}, best time: {handoff.callback_time}"
        )
    rows.append("transcript:")
    for turn in handoff.transcript:
        rows.append(f"  {turn.get('time', ''):20} {turn['speaker']:>9}: {turn['text']}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.handoffs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="open requests")
    listing.add_argument("--all", action="store_true", help="include resolved requests")
    commands.add_parser("show", help="one request with its transcript").add_argument("id")
    commands.add_parser("resolve", help="mark a request resolved").add_argument("id")
    args = parser.parse_args(argv)

    store = HandoffStore()
    try:
        if args.command == "list":
            handoffs = store.list(status=None if args.all else "open")
            print("\n".join(line(h) for h in handoffs) or "No open handoff requests.")
        elif args.command == "show":
            print(show(store.get(args.id)))
        else:
            print(f"Resolved: {line(store.resolve(args.id))}")
    except (KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
