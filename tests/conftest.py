"""What both tiers share: the project's paths, the test data sets, and the tier check.

The tests come in two tiers, one folder each:
- tests/unit/: plain Python, and Rasa's parts in this process (the trained
  model included): no server. `make test-unit` runs them in under a minute.
- tests/server/: the real Rasa and action servers (and PostgreSQL, Redis, a
  browser) over HTTP. Every test there carries the `server` marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from core.settings import settings

TESTS = Path(__file__).resolve().parent
TEST_DATA = TESTS / "data"
SAFETY_SETS = [TEST_DATA / f"safety_set{name}.yml" for name in ("", "_blind", "_es")]
TIERS = ("unit", "server")


def tier_of(path: Path) -> str | None:
    """The tier folder a test file sits in (None outside tests/unit/ and tests/server/)."""
    try:
        parts = Path(path).resolve().relative_to(TESTS).parts
    except ValueError:  # not under tests/ at all
        return None
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def tier_problems(items: list[pytest.Item]) -> list[str]:
    """Each test sits in a tier's folder, and carries the `server` marker if and only if
    that folder is tests/server/: what `-m server` and `-m "not server"` select is the tier."""
    problems = []
    for item in items:
        tier = tier_of(item.path)
        marked = item.get_closest_marker("server") is not None
        if tier is None:
            problems.append(f"{item.nodeid}: put it in tests/unit/ or tests/server/")
        elif marked and tier == "unit":
            problems.append(f"{item.nodeid}: marked `server` but in tests/unit/")
        elif not marked and tier == "server":
            problems.append(f"{item.nodeid}: in tests/server/ but not marked `server`")
    return problems


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuses a test in the wrong tier; runs the unit tier first, and tests marked
    `runs_last` (they read what every other test left behind: server logs) last."""
    problems = tier_problems(items)
    if problems:
        raise pytest.UsageError("tests outside their tier:\n" + "\n".join(problems))
    items.sort(
        key=lambda item: (
            item.get_closest_marker("runs_last") is not None,
            tier_of(item.path) == "server",
        )
    )


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the environment it set (`monkeypatch.setenv`), not the last test's."""
    settings.cache_clear()
    yield
    settings.cache_clear()


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def safety_cases(section: str) -> list:
    """One test parameter per case of a section (`emergencies`, `disclosures`,
    `not_emergencies`, `not_disclosures`) of our safety sets."""
    return [
        pytest.param(case, id=case["text"][:60])
        for path in SAFETY_SETS
        for case in read_yaml(path).get(section, [])
    ]


@pytest.fixture
def unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa and Sanic as shipped, whatever a test installs; as they were again afterwards."""
    from rasa_server import patches

    for patch in (*patches.PATCHES, *patches.TRAINING_PATCHES):
        monkeypatch.setattr(patch.target.owner, patch.target.attribute, patch.original)


@pytest.fixture
def another_rasa_version(monkeypatch: pytest.MonkeyPatch) -> str:
    """Rasa says it is a version our speed-ups were not written for."""
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    return "3.6.22"


def handoffs_table_before_languages(url: str) -> None:
    """The handoffs table as the staff console's release made it (no `language`), with a request."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE handoffs (id INTEGER PRIMARY KEY, conversation_id VARCHAR(255) NOT NULL,"
            " trigger_key VARCHAR(255) NOT NULL, reason VARCHAR(32) NOT NULL, conditions TEXT,"
            " trigger_message TEXT NOT NULL, transcript TEXT, created_at TIMESTAMP NOT NULL,"
            " status VARCHAR(16) NOT NULL, resolved_at TIMESTAMP, callback VARCHAR(16) NOT NULL,"
            " contact_name VARCHAR(200), contact_phone VARCHAR(40), contact_email VARCHAR(254),"
            " callback_time VARCHAR(200), resolved_by VARCHAR(64), resolution_note TEXT)"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO handoffs VALUES (1, 'c-1', 'm-1', 'user_request', '[]', 'hi', '[]',"
            " '2026-01-01 10:00:00', 'open', NULL, 'offered', NULL, NULL, NULL, NULL, NULL, NULL)"
        ))  # fmt: skip
    engine.dispose()
