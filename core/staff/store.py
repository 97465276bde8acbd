"""Staff accounts, their sessions, login lockouts and the audit log, in SQL.

Plain Python over SQLAlchemy, in the handoff store's database
(`HANDOFF_DB_URL`: SQLite by default, PostgreSQL by URL). Nothing lives in
one process's memory: a session opened on one console server is valid on
every other, and a lockout counts failures sent to any of them.

Session tokens and CSRF tokens are random (`secrets`); the database keeps
only their SHA-256, so a copy of it opens no session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Index, Integer, String, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base

from core.database import StaffSideStore
from core.handoffs.store import utcnow
from core.staff.passwords import dummy_hash, hash_password, needs_rehash, verify
from core.staff.roles import ROLES

IDLE_TIMEOUT = dt.timedelta(hours=8)
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
# A session's last use is written at most this often: one write a minute, not one a request.
TOUCH_EVERY = dt.timedelta(seconds=60)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")

ACCOUNT, ADDRESS = "account", "address"

Base = declarative_base()


class AccountRow(Base):
    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class SessionRow(Base):
    __tablename__ = "staff_sessions"

    token_hash = Column(String(64), primary_key=True)
    username = Column(String(64), nullable=False, index=True)
    csrf_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime, nullable=False, index=True)


class FailureRow(Base):
    """One failed login, counted against the account name and against the client address."""

    __tablename__ = "staff_login_failures"
    __table_args__ = (Index("failures_by_key", "kind", "key", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(16), nullable=False)
    key = Column(String(255), nullable=False)
    at = Column(DateTime, nullable=False)


class AuditRow(Base):
    __tablename__ = "staff_audit"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, index=True)
    username = Column(String(64), nullable=False)
    action = Column(String(64), nullable=False)
    target = Column(String(64))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalised(username: str) -> str:
    return username.strip().lower()


class BadCredentials(Exception):
    pass


class Locked(Exception):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}Z")
        self.until = until


@dataclass(frozen=True)
class NewSession:
    """What a login hands the browser: the session cookie's value and the CSRF token."""

    token: str
    csrf_token: str
    username: str
    role: str


@dataclass(frozen=True)
class StaffSession:
    username: str
    role: str
    csrf_hash: str

    def csrf_matches(self, csrf_token: str | None) -> bool:
        return bool(csrf_token) and hmac.compare_digest(digest(csrf_token), self.csrf_hash)


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    username: str
    action: str
    target: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "at": self.at.isoformat() + "Z",
            "username": self.username,
            "action": self.action,
            "target": self.target,
        }


class StaffStore(StaffSideStore):
    metadata = Base.metadata

    def __init__(
        self,
        url: str | None = None,
        engine: Engine | None = None,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        super().__init__(url, engine)
        self.now = now

    # --- accounts --------------------------------------------------------------

    def set_account(self, username: str, role: str, password: str) -> bool:
        """Creates the account or gives it this role and password; True if created.

        A new password ends the account's open sessions.
        """
        username = normalised(username)
        if not USERNAME.match(username):
            raise ValueError(
                "a login is 1-64 characters: lower-case letters, digits, '.', '_', '@', '-'"
            )
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        password_hash = hash_password(password)
        with self._session() as session:
            row = self._account(session, username)
            created = row is None
            if created:
                session.add(AccountRow(username=username, role=role, password_hash=password_hash))
            else:
                row.role, row.password_hash, row.updated_at = role, password_hash, utcnow()
                session.execute(delete(SessionRow).where(SessionRow.username == username))
            return created

    def role_of(self, username: str) -> str | None:
        with self._session() as session:
            row = self._account(session, normalised(username))
            return row.role if row else None

    @staticmethod
    def _account(session: Session, username: str) -> AccountRow | None:
        return session.execute(
            select(AccountRow).where(AccountRow.username == username)
        ).scalar_one_or_none()

    # --- logging in and out ----------------------------------------------------

    def login(self, username: str, password: str, address: str) -> NewSession:
        """A new session, or BadCredentials, or Locked while the account or address is locked.

        The fifth failure within 15 minutes locks the account name, and
        separately the client address, for 15 minutes from that failure.
        While locked, not even the right password opens a session.
        """
        username = normalised(username)
        now = self.now()
        with self._session() as session:
            until = self._locked_until(session, username, address, now)
            if until is not None:
                raise Locked(until)
            account = self._account(session, username)
        # Outside the transaction: hashing takes a tenth of a second.
        valid = verify(account.password_hash if account else dummy_hash(), password)
        if not (account and valid):
            with self._session() as session:
                session.execute(delete(FailureRow).where(FailureRow.at <= now - LOCKOUT))
                session.add_all(
                    [
                        FailureRow(kind=ACCOUNT, key=username, at=now),
                        FailureRow(kind=ADDRESS, key=address, at=now),
                    ]
                )
                session.flush()
                until = self._locked_until(session, username, address, now)
            if until is not None:
                raise Locked(until)
            raise BadCredentials()
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._session() as session:
            session.execute(
                delete(FailureRow).where(FailureRow.kind == ACCOUNT, FailureRow.key == username)
            )
            session.execute(delete(SessionRow).where(SessionRow.last_seen_at <= now - IDLE_TIMEOUT))
            session.add(
                SessionRow(
                    token_hash=digest(token),
                    username=username,
                    csrf_hash=digest(csrf_token),
                    created_at=now,
                    last_seen_at=now,
                )
            )
            if needs_rehash(account.password_hash):
                self._account(session, username).password_hash = hash_password(password)
            return NewSession(token, csrf_token, username, account.role)

    def _locked_until(
        self, session: Session, username: str, address: str, now: dt.datetime
    ) -> dt.datetime | None:
        latest = []
        for kind, key in ((ACCOUNT, username), (ADDRESS, address)):
            count, last = session.execute(
                select(func.count(FailureRow.id), func.max(FailureRow.at)).where(
                    FailureRow.kind == kind, FailureRow.key == key, FailureRow.at > now - LOCKOUT
                )
            ).one()
            if count >= MAX_FAILURES:
                latest.append(last + LOCKOUT)
        return max(latest) if latest else None

    def session(self, token: str | None) -> StaffSession | None:
        """The session a cookie holds, if it is open and was used within 8 hours."""
        if not token:
            return None
        now = self.now()
        with self._session() as session:
            row = session.get(SessionRow, digest(token))
            if row is None:
                return None
            account = self._account(session, row.username)
            if account is None or now - row.last_seen_at > IDLE_TIMEOUT:
                session.delete(row)
                return None
            if now - row.last_seen_at > TOUCH_EVERY:
                row.last_seen_at = now
            return StaffSession(row.username, account.role, row.csrf_hash)

    def logout(self, token: str | None) -> None:
        if token:
            with self._session() as session:
                session.execute(delete(SessionRow).where(SessionRow.token_hash == digest(token)))

    # --- the audit log ---------------------------------------------------------

    def record(self, username: str, action: str, target: str | None = None) -> None:
        """Who did what to which request, and when: no message text, no note."""
        with self._session() as session:
            session.add(AuditRow(at=self.now(), username=username, action=action, target=target))

    def audit_log(self, limit: int = 500) -> list[AuditEntry]:
        """The latest entries, newest first."""
        with self._session() as session:
            rows = session.execute(
                select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            ).scalars()
            return [AuditEntry(row.at, row.username, row.action, row.target) for row in rows]
