"""`make staff-user NAME=<login> ROLE=<staff|curator|admin>`: create or update a staff account.

The password is asked for twice at the terminal, or read from STAFF_PASSWORD
for scripted set-up; at least 12 characters. Stored as an argon2id hash in
the handoff store's database (HANDOFF_DB_URL). A new password ends the
account's open sessions.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from core.settings import settings
from core.staff.passwords import WeakPassword, check_strength
from core.staff.roles import ROLES
from core.staff.store import StaffStore


def ask_password() -> str:
    password = getpass.getpass("Password (at least 12 characters): ")
    check_strength(password)
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.staff_user", description=__doc__)
    parser.add_argument("name", help="the login, e.g. jsmith")
    parser.add_argument("role", choices=ROLES)
    args = parser.parse_args(argv)
    try:
        password = settings().staff_password or ask_password()
        created = StaffStore().set_account(args.name, args.role, password)
    except (WeakPassword, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nNo account changed.", file=sys.stderr)
        return 1
    print(f"{'Created' if created else 'Updated'} {args.name.strip().lower()} ({args.role}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
