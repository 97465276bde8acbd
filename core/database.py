"""The staff-side SQL database (handoffs, ratings, staff accounts) that several stores share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

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
