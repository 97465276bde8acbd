"""The handoff store's schema on PostgreSQL, as the scale-out set-up runs it.

Its own throwaway PostgreSQL cluster (tools.processes.postgres_server): the
SQL that makes and migrates the `handoffs` table must work there as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from core.handoffs.store import HandoffStore
from tests.conftest import handoffs_table_before_languages
from tools.processes import postgres_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def new_database(postgres: str, name: str) -> str:
    engine = create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return f"{postgres}/{name}"


def test_a_new_database_keeps_the_patients_language(postgres: str) -> None:
    url = new_database(postgres, "fresh")
    store = HandoffStore(url)
    spanish = store.create(
        "c-es", "user_request", "quiero hablar con alguien", "m-1", language="es"
    )
    english = store.create("c-en", "user_request", "a person please", "m-1")
    reopened = HandoffStore(url)
    assert [h.language for h in reopened.list()] == ["es", "en"]
    assert [n.payload["handoff"]["language"] for n in store.claim_due()] == ["es", "en"]
    assert (spanish.id, english.id) == ("h-000001", "h-000002")
    store.engine.dispose()
    reopened.engine.dispose()


def test_a_database_from_before_languages_is_migrated_and_its_requests_are_english(
    postgres: str,
) -> None:
    url = new_database(postgres, "before_languages")
    handoffs_table_before_languages(url)
    store = HandoffStore(url)
    assert store.get("h-000001").language == "en"
    resolved = store.resolve("h-000001", note="called back", by="alice")
    assert (resolved.language, resolved.resolution_note) == ("en", "called back")
    with store.engine.connect() as connection:  # what any other writer gets by default
        default = connection.execute(text(
            "SELECT column_default, is_nullable FROM information_schema.columns"
            " WHERE table_name = 'handoffs' AND column_name = 'language'"
        )).one()  # fmt: skip
    assert default == ("'en'::character varying", "NO")
    store.engine.dispose()
