"""The staff-side SQL database (handoffs, ratings, staff accounts) that several stores share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.settings import settings


def staff_side_engine(url: str | None = None) -> Engine:
    """An engine for `url`, by default `HANDOFF_DB_URL`; a SQLite file's folder is made.

    Connections are checked before use (`pool_pre_ping`), so a store outlives
    a database restart.
    """
    url = url or settings().handoff_db_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True, pool_pre_ping=True)


class StaffSideStore:
    """A store of its own tables in the staff-side database, made on first use.

    Not at start-up: an action server must start (and spool handoff
    requests) while the database is unreachable. A subclass names its tables'
    `metadata` and may extend `_prepare_schema`.
    """

    metadata: MetaData

    def __init__(self, url: str | None = None, engine: Engine | None = None) -> None:
        self.engine = engine or staff_side_engine(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)
        self._schema_ready = False

    def _prepare_schema(self) -> None:
        self.metadata.create_all(self.engine)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction, committed when the block ends without an error."""
        if not self._schema_ready:
            self._prepare_schema()
            self._schema_ready = True
        with self._sessions.begin() as session:
            yield session
