"""Who may do what in the staff console.

Three roles, each allowed what the one before it is, and more: `staff` work
the handoff inbox, `curator`s also read the insights into what patients ask,
`admin`s also read the audit log. A route names the roles it admits with one
of the tuples below, so a new page reuses them rather than listing roles.
"""

from __future__ import annotations

STAFF, CURATOR, ADMIN = "staff", "curator", "admin"
ROLES = (STAFF, CURATOR, ADMIN)

ANY_ROLE = ROLES
CURATORS = (CURATOR, ADMIN)  # insights: message texts and ratings
ADMINS = (ADMIN,)  # the audit log


def may(role: str, allowed: tuple[str, ...]) -> bool:
    """Whether an account of this role may use something open to `allowed`."""
    return role in allowed
