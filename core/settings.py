"""Every setting the assistant reads from its environment, and the project's paths.

The processes read their settings here and nowhere else: `settings()` reads
the environment once per process and returns typed values. The README's
"Settings" table lists each variable with its default; a test keeps the two
in step. Tests that change a variable call `settings.cache_clear()`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
VAR_DIR = PROJECT_ROOT / "var"


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default and what it is for."""

    env: str
    default: str | None
    meaning: str


# Order is the README table's order.
SETTINGS = {
    "shared_dir": Setting(
        "SHARED_DIR",
        str(PROJECT_ROOT.parent / "shared"),
        "the product's shared contract files: topic catalogue, facts sheet",
    ),
    "content_dir": Setting(
        "CONTENT_DIR", str(CONTENT_DIR), "the curated content store the action server reads"
    ),
    "handoff_db_url": Setting(
        "HANDOFF_DB_URL",
        f"sqlite:///{VAR_DIR / 'data' / 'handoffs.db'}",
        "handoff requests and notifications: any SQLAlchemy URL, e.g. `postgresql://user:pass@host/clinic`",
    ),
    "handoff_spool": Setting(
        "HANDOFF_SPOOL",
        str(VAR_DIR / "spool" / "handoffs.jsonl"),
        "where handoff requests wait while their database is down",
    ),
    "handoff_webhook_url": Setting(
        "HANDOFF_WEBHOOK_URL",
        None,
        "the staff webhook each handoff is POSTed to (unset: notifications wait)",
    ),
    "handoff_webhook_secret": Setting(
        "HANDOFF_WEBHOOK_SECRET",
        None,
        "the secret staff notifications are signed with, HMAC-SHA256 (docs/staff-webhook.md; "
        "unset: unsigned, with a warning)",
    ),
    "tracker_store_url": Setting(
        "TRACKER_STORE_URL",
        None,
        "conversations in a database server, e.g. PostgreSQL (unset: SQLite)",
    ),
    "tracker_db": Setting(
        "TRACKER_DB",
        str(VAR_DIR / "data" / "trackers.db"),
        "the SQLite file of conversations when `TRACKER_STORE_URL` is unset",
    ),
    "lock_store_url": Setting(
        "LOCK_STORE_URL",
        None,
        "Redis, required with several Rasa servers or Sanic workers",
    ),
    "rate_limit_per_conversation": Setting(
        "RATE_LIMIT_PER_CONVERSATION",
        "30",
        "messages one conversation may send in a window (0: no limit)",
    ),
    "rate_limit_per_address": Setting(
        "RATE_LIMIT_PER_ADDRESS",
        "300",
        "messages one client address may send in a window (0: no limit)",
    ),
    "rate_limit_window_seconds": Setting(
        "RATE_LIMIT_WINDOW_SECONDS", "60", "the rate limits' window"
    ),
    "trusted_proxies": Setting(
        "TRUSTED_PROXIES",
        None,
        "comma-separated proxies (addresses or networks) whose X-Forwarded-For is believed",
    ),
    "retention_days": Setting(
        "RETENTION_DAYS", "90", "days `make purge` keeps conversations and resolved handoffs"
    ),
    "content_review_months": Setting(
        "CONTENT_REVIEW_MONTHS",
        "12",
        "months after its `reviewed` date an answer is listed as due for review (insights)",
    ),
    "reply_deadline_seconds": Setting(
        "REPLY_DEADLINE_SECONDS", "8", "the longest a patient waits for a reply"
    ),
    "allowed_origins": Setting(
        "ALLOWED_ORIGINS",
        None,
        "comma-separated origins the REST channel accepts from browsers (unset: the demo page's)",
    ),
    "log_dir": Setting("ASSISTANT_LOG_DIR", str(VAR_DIR / "log"), "`make run`'s log files"),
    "web_host": Setting("WEB_HOST", "127.0.0.1", "the interface the demo page listens on"),
    "web_proxies_count": Setting(
        "WEB_PROXIES_COUNT",
        "0",
        "reverse proxies in front of the page and staff console whose X-Forwarded-For and "
        "X-Forwarded-Proto are trusted",
    ),
    "staff_password": Setting(
        "STAFF_PASSWORD", None, "the password `make staff-user` sets without asking"
    ),
    "log_level": Setting("LOG_LEVEL", "INFO", "the action server's log level"),
    "action_server_host": Setting(
        "ACTION_SERVER_HOST", "127.0.0.1", "the interface the action server listens on"
    ),
    "action_server_port": Setting("ACTION_SERVER_PORT", "5055", "the action server's port"),
}


@dataclass(frozen=True)
class Settings:
    shared_dir: Path
    content_dir: Path
    handoff_db_url: str
    handoff_spool: Path
    handoff_webhook_url: str | None
    handoff_webhook_secret: str | None
    tracker_store_url: str | None
    tracker_db: Path
    lock_store_url: str | None
    rate_limit_per_conversation: int
    rate_limit_per_address: int
    rate_limit_window_seconds: int
    trusted_proxies: tuple[str, ...]
    retention_days: int
    content_review_months: int
    reply_deadline_seconds: float
    allowed_origins: tuple[str, ...]
    log_dir: Path
    web_host: str
    web_proxies_count: int
    staff_password: str | None
    log_level: str
    action_server_host: str
    action_server_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Typed settings from `env`; an empty variable counts as unset."""
        raw = {name: env.get(s.env) or s.default for name, s in SETTINGS.items()}
        values: dict[str, object] = {}
        for field in fields(cls):
            value = raw[field.name]
            kind = str(field.type)
            if value is None or kind.endswith("| None"):
                values[field.name] = value
            elif kind == "Path":
                values[field.name] = Path(value)
            elif kind == "int":
                values[field.name] = int(value)
            elif kind == "float":
                values[field.name] = float(value)
            elif kind.startswith("tuple"):
                values[field.name] = tuple(part.strip() for part in value.split(",") if part)
            else:
                values[field.name] = value
        for name in ("allowed_origins", "trusted_proxies"):
            if raw[name] is None:
                values[name] = ()
        return cls(**values)  # type: ignore[arg-type]


@functools.cache
def settings() -> Settings:
    """This process's settings, read from the environment on first use."""
    return Settings.from_env(os.environ)
