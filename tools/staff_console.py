"""The staff console: its JSON API (/staff/api/) and pages (/staff/), on the page server.

Staff log in with the accounts `make staff-user` creates; the session lives in
the handoff store's database (core/staff/store.py), so any replica of this
server accepts it. The API is documented for integrators in
docs/staff-console.md.

A route opens with `@authorized(...)` naming the roles it admits
(core/staff/roles.py); it checks the session cookie (401), the role (403)
and, on a state-changing request, the CSRF token in the `X-CSRF-Token`
header (403).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from core.feedback.store import FeedbackStore
from core.handoffs.store import OPEN, REASONS, RESOLVED, Handoff, HandoffStore, utcnow
from core.settings import PROJECT_ROOT
from core.staff.insights import MAX_DAYS, TABLES, InsightsReader, as_csv
from core.staff.roles import ADMINS, ANY_ROLE, CURATORS, may
from core.staff.store import IDLE_TIMEOUT, BadCredentials, Locked, StaffStore
from core.staff.transcripts import ConversationReader

COOKIE = "staff_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATUSES = {"open": OPEN, "resolved": RESOLVED, "all": None}
MAX_NOTE_CHARS = 2000
MAX_FIELD_CHARS = 1024

CONSOLE_ROOT = PROJECT_ROOT / "web" / "staff"
CONSOLE_FILES = {"/staff/": "index.html", "/staff/console.js": "console.js",
                 "/staff/console.css": "console.css"}  # fmt: skip
# Preact and htm in one ES module, as the htm package ships it: no build step.
UI_LIBRARY = PROJECT_ROOT / "web" / "node_modules" / "htm" / "preact" / "standalone.module.js"
# Chart.js as its package builds it for a plain <script>: it sets `window.Chart`.
CHART_LIBRARY = PROJECT_ROOT / "web" / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
DEFAULT_INSIGHT_DAYS = 30

# Stricter than the page's: no inline styles, and connections to this origin only.
STAFF_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@dataclass
class StaffConsole:
    """What the console reads and writes: handoffs, staff accounts and sessions, conversations,
    and the insights curators read from these and the answer ratings."""

    handoffs: HandoffStore
    staff: StaffStore
    conversations: ConversationReader
    insights: InsightsReader

    @classmethod
    def from_settings(cls) -> StaffConsole:
        return cls.of(HandoffStore(), ConversationReader())

    @classmethod
    def from_urls(cls, handoff_db_url: str, tracker_db_url: str) -> StaffConsole:
        return cls.of(HandoffStore(handoff_db_url), ConversationReader(tracker_db_url))

    @classmethod
    def of(cls, handoffs: HandoffStore, conversations: ConversationReader) -> StaffConsole:
        """Everything staff-side in the handoff store's database, beside the conversations."""
        staff = StaffStore(engine=handoffs.engine)
        feedback = FeedbackStore(engine=handoffs.engine)
        return cls(
            handoffs, staff, conversations, InsightsReader(conversations, handoffs, feedback)
        )


def console_of(request: Request) -> StaffConsole:
    return request.app.ctx.staff_console


async def blocking(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Database work off the event loop, so the page's files are served meanwhile."""
    return await asyncio.to_thread(function, *args, **kwargs)


def error(status: int, message: str, **extra: Any) -> HTTPResponse:
    return response.json({"error": message, **extra}, status=status)


Handler = Callable[..., Awaitable[HTTPResponse]]


def authorized(allowed: tuple[str, ...] = ANY_ROLE) -> Callable[[Handler], Handler]:
    """A route for staff whose role is in `allowed`; the session is `request.ctx.staff`."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            console = console_of(request)
            session = await blocking(console.staff.session, request.cookies.get(COOKIE))
            if session is None:
                raise ApiError(401, "not logged in, or the session expired: log in")
            if not may(session.role, allowed):
                raise ApiError(403, f"the {session.role} role may not do this")
            if request.method not in SAFE_METHODS and not session.csrf_matches(
                request.headers.get(CSRF_HEADER)
            ):
                raise ApiError(403, f"missing or wrong CSRF token (the {CSRF_HEADER} header)")
            request.ctx.staff = session
            return await handler(request, *args, **kwargs)

        return checked

    return decorate


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, limit: int = MAX_FIELD_CHARS) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"'{name}' must be a non-empty string")
    if len(value) > limit:
        raise ApiError(400, f"'{name}' must be at most {limit} characters")
    return value


def stamp(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def handoff_item(handoff: Handoff) -> dict[str, Any]:
    return {
        **handoff.summary(),
        "resolved_at": stamp(handoff.resolved_at),
        "resolved_by": handoff.resolved_by,
    }


def client_address(request: Request) -> str:
    """The proxy-reported address when WEB_PROXIES_COUNT trusts one, else the peer's."""
    return request.remote_addr or request.ip


def set_session_cookie(request: Request, reply: HTTPResponse, token: str) -> None:
    reply.cookies[COOKIE] = token
    cookie = reply.cookies[COOKIE]
    cookie["path"] = "/staff"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if request.scheme == "https":  # directly, or a trusted proxy's X-Forwarded-Proto
        cookie["secure"] = True


def add_staff_console(app: Sanic, console: StaffConsole | None) -> None:
    """The console's pages and API on `app`; without a console, only a 404 under /staff/."""
    if console is None:
        return
    app.ctx.staff_console = console

    @app.exception(ApiError)
    async def api_error(request: Request, exception: ApiError) -> HTTPResponse:
        return error(exception.status, exception.message, **exception.extra)

    @app.exception(NotFound, MethodNotSupported)
    async def not_found(request: Request, exception: SanicException) -> HTTPResponse:
        if request.path.startswith("/staff/api/"):
            return error(exception.status_code, str(exception))
        return response.text(str(exception), status=exception.status_code)

    @app.get("/staff")
    async def to_console(request: Request) -> HTTPResponse:
        return response.redirect("/staff/")

    for route, name in CONSOLE_FILES.items():
        app.add_route(
            lambda request, name=name: response.file(CONSOLE_ROOT / name),
            route,
            name=f"staff_{name.replace('.', '_')}",
        )

    @app.get("/staff/vendor/preact-htm.js")
    async def ui_library(request: Request) -> HTTPResponse:
        return await response.file(UI_LIBRARY, mime_type="text/javascript")

    @app.get("/staff/vendor/chart.js")
    async def chart_library(request: Request) -> HTTPResponse:
        return await response.file(CHART_LIBRARY, mime_type="text/javascript")

    @app.post("/staff/api/login")
    async def login(request: Request) -> HTTPResponse:
        body = json_body(request)
        username, password = text_field(body, "username"), text_field(body, "password")
        try:
            session = await blocking(
                console.staff.login, username, password, client_address(request)
            )
        except BadCredentials:
            raise ApiError(401, "wrong login or password") from None
        except Locked as locked:
            wait = max(1, int((locked.until - utcnow()).total_seconds()))
            reply = error(
                429,
                "too many failed logins: locked for 15 minutes",
                locked_until=stamp(locked.until),
                retry_after_seconds=wait,
            )
            reply.headers["Retry-After"] = str(wait)
            return reply
        await blocking(console.staff.record, session.username, "login")
        reply = response.json(
            {
                "username": session.username,
                "role": session.role,
                "csrf_token": session.csrf_token,
                "idle_timeout_seconds": int(IDLE_TIMEOUT.total_seconds()),
            }
        )
        set_session_cookie(request, reply, session.token)
        return reply

    @app.post("/staff/api/logout")
    @authorized()
    async def logout(request: Request) -> HTTPResponse:
        await blocking(console.staff.logout, request.cookies.get(COOKIE))
        await blocking(console.staff.record, request.ctx.staff.username, "logout")
        reply = response.json({"logged_out": True})
        set_session_cookie(request, reply, "")
        reply.cookies[COOKIE]["max-age"] = 0
        return reply

    @app.get("/staff/api/session")
    @authorized()
    async def who(request: Request) -> HTTPResponse:
        return response.json(
            {"username": request.ctx.staff.username, "role": request.ctx.staff.role}
        )

    @app.get("/staff/api/handoffs")
    @authorized()
    async def handoffs(request: Request) -> HTTPResponse:
        status = request.args.get("status", "open")
        if status not in STATUSES:
            raise ApiError(400, "'status' must be open, resolved or all")
        reason = request.args.get("reason") or None
        if reason is not None and reason not in REASONS:
            raise ApiError(400, f"'reason' must be one of {', '.join(REASONS)}")
        found = await blocking(
            console.handoffs.list, status=STATUSES[status], reason=reason, newest_first=True
        )
        return response.json({"now": stamp(utcnow()), "handoffs": [handoff_item(h) for h in found]})

    async def find(handoff_id: str) -> Handoff:
        try:
            return await blocking(console.handoffs.get, handoff_id)
        except (KeyError, ValueError):
            raise ApiError(404, f"no handoff {handoff_id}") from None

    @app.get("/staff/api/handoffs/<handoff_id>")
    @authorized()
    async def handoff(request: Request, handoff_id: str) -> HTTPResponse:
        found = await find(handoff_id)
        transcript = await blocking(console.conversations.transcript, found.conversation_id)
        source = "conversation"
        if transcript is None:  # the conversation was purged: the copy kept with the request
            transcript, source = list(found.transcript), "handoff"
        await blocking(console.staff.record, request.ctx.staff.username, "handoff.view", found.id)
        detail = {
            **handoff_item(found),
            "trigger_message": found.trigger_message,
            "resolution_note": found.resolution_note,
            "transcript": transcript,
            "transcript_source": source,
        }
        return response.json({"handoff": detail})

    @app.post("/staff/api/handoffs/<handoff_id>/resolve")
    @authorized()
    async def resolve(request: Request, handoff_id: str) -> HTTPResponse:
        note = text_field(json_body(request), "note", MAX_NOTE_CHARS)
        found = await find(handoff_id)
        if found.status == RESOLVED:
            raise ApiError(409, f"{found.id} is already resolved")
        username = request.ctx.staff.username
        resolved = await blocking(console.handoffs.resolve, found.id, note=note, by=username)
        await blocking(console.staff.record, username, "handoff.resolve", found.id)
        return response.json({"handoff": {**handoff_item(resolved), "resolution_note": note}})

    def insight_days(request: Request) -> int:
        try:
            days = int(request.args.get("days", DEFAULT_INSIGHT_DAYS))
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_DAYS:
            raise ApiError(400, f"'days' must be a whole number from 1 to {MAX_DAYS}")
        return days

    @app.get("/staff/api/insights")
    @authorized(CURATORS)
    async def insights(request: Request) -> HTTPResponse:
        days = insight_days(request)
        found = await blocking(console.insights.compute, days)
        await blocking(console.staff.record, request.ctx.staff.username, "insights.view",
                       f"days={days}")  # fmt: skip
        return response.json(found)

    @app.get("/staff/api/insights.csv")
    @authorized(CURATORS)
    async def insights_csv(request: Request) -> HTTPResponse:
        days, name = insight_days(request), request.args.get("table", "")
        if name not in TABLES:
            raise ApiError(400, f"'table' must be one of {', '.join(TABLES)}")
        found = await blocking(console.insights.compute, days)
        await blocking(console.staff.record, request.ctx.staff.username, "insights.export",
                       f"{name} days={days}")  # fmt: skip
        filename = f"insights-{name}-{days}d-{utcnow():%Y-%m-%d}.csv"
        return response.text(
            as_csv(found, name),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @app.get("/staff/api/audit")
    @authorized(ADMINS)
    async def audit(request: Request) -> HTTPResponse:
        try:
            limit = min(max(int(request.args.get("limit", 500)), 1), 5000)
        except ValueError:
            raise ApiError(400, "'limit' must be a number") from None
        entries = await blocking(console.staff.audit_log, limit)
        return response.json({"entries": [entry.as_dict() for entry in entries]})

    @app.on_response
    async def never_cached(request: Request, reply: HTTPResponse) -> None:
        if request.path.startswith("/staff/api/"):
            reply.headers["Cache-Control"] = "no-store"
