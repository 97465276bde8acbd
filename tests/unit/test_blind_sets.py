"""Every blind set belongs to a family with floors, so none skips the end-to-end check.

The floors, and the check itself, are in tests/server/test_blind_sets.py.
"""

from __future__ import annotations

from tests.server.test_blind_sets import BLIND, FLOORS


def test_every_blind_set_has_floors() -> None:
    families = [prefix for prefixes in FLOORS for prefix in prefixes]
    paths = sorted(BLIND.glob("*.yml"))
    assert paths, f"no blind sets in {BLIND}"
    for path in paths:
        assert path.name.startswith(tuple(families)), path.name
