"""The staff console's JSON API over HTTP: sessions, roles, CSRF, cookies, lockouts, the audit log.

A real page server (Sanic, in this process) on real SQLite files; its own,
not the shared servers': it needs accounts, a trusted proxy and handoffs of its own.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from core.handoffs.store import HandoffStore
from core.staff.roles import CURATORS
from tools.processes import free_port

pytestmark = pytest.mark.server

PASSWORD = "a long enough password"
ACCOUNTS = {"sam": "staff", "cora": "curator", "ada": "admin"}
ADDRESSES = (f"198.51.100.{n}" for n in itertools.count(1))


class Console:
    def __init__(self, url: str, db_url: str, handoffs: HandoffStore, trackers: Path) -> None:
        self.url, self.db_url, self.handoffs, self.trackers = url, db_url, handoffs, trackers

    def login(self, username: str, password: str = PASSWORD, address: str | None = None):
        """A browser-like session after logging in (its `csrf` attribute holds the token)."""
        session = requests.Session()
        session.headers["X-Forwarded-For"] = address or next(ADDRESSES)
        reply = session.post(f"{self.url}/staff/api/login",
                             json={"username": username, "password": password})  # fmt: skip
        session.reply = reply
        session.csrf = reply.json().get("csrf_token") if reply.ok else None
        return session

    def sql(self, statement: str, **params: object) -> None:
        with create_engine(self.db_url).begin() as connection:
            connection.execute(text(statement), params)


def start_console(tmp: Path, monkeypatch: pytest.MonkeyPatch, proxies: int) -> Iterator[Console]:
    from tools.staff_console import StaffConsole, authorized
    from tools.web_server import WebServer, create_app

    db_url, tracker_url = f"sqlite:///{tmp / 'handoffs.db'}", f"sqlite:///{tmp / 'trackers.db'}"
    monkeypatch.setenv("WEB_PROXIES_COUNT", str(proxies))
    console = StaffConsole.from_urls(db_url, tracker_url)
    for username, role in ACCOUNTS.items():
        console.staff.set_account(username, role, PASSWORD)
    app = create_app("http://127.0.0.1:5005/webhooks/rest/webhook", console)

    @app.get("/staff/api/curators-only")  # what a curators' page (insights) declares
    @authorized(CURATORS)
    async def curators_only(request: object) -> object:
        from sanic import response

        return response.json({"ok": True})

    port = free_port()
    server = WebServer(app, "127.0.0.1", port).start()
    yield Console(f"http://127.0.0.1:{port}", db_url, console.handoffs, tmp / "trackers.db")
    server.shutdown()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """Behind one trusted proxy, so each test logs in from addresses of its own."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        from core.settings import settings

        settings.cache_clear()
        yield from start_console(tmp_path_factory.mktemp("staff"), monkeypatch, proxies=1)


def handoff(console: Console, reason: str = "contraindication", key: str | None = None) -> str:
    created = console.handoffs.create(
        f"c-{time.monotonic_ns()}", reason, "I have glaucoma", key or f"m-{time.monotonic_ns()}",
        conditions=["glaucoma"] if reason == "contraindication" else [],
        transcript=[{"speaker": "patient", "text": "I have glaucoma", "time": ""}],
    )  # fmt: skip
    return created.id


ROUTES = [
    ("GET", "/staff/api/session"),
    ("GET", "/staff/api/handoffs"),
    ("GET", "/staff/api/handoffs/h-000001"),
    ("POST", "/staff/api/handoffs/h-000001/resolve"),
    ("POST", "/staff/api/logout"),
    ("GET", "/staff/api/audit"),
    ("GET", "/staff/api/insights"),
    ("GET", "/staff/api/insights.csv?table=topics"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_session(console: Console, method: str, path: str) -> None:
    reply = requests.request(method, console.url + path, json={"note": "x"})
    assert reply.status_code == 401 and "log in" in reply.json()["error"]
    forged = requests.request(method, console.url + path, cookies={"staff_session": "forged"})
    assert forged.status_code == 401


def test_login_sets_a_strict_httponly_cookie_and_returns_a_csrf_token(console: Console) -> None:
    session = console.login("sam")
    assert session.reply.status_code == 200
    body = session.reply.json()
    assert body["username"] == "sam" and body["role"] == "staff" and len(body["csrf_token"]) >= 32
    assert body["idle_timeout_seconds"] == 8 * 3600
    cookie = session.reply.headers["Set-Cookie"]
    assert cookie.startswith("staff_session=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
    assert body["csrf_token"] not in cookie
    assert session.get(f"{console.url}/staff/api/session").json() == {
        "username": "sam", "role": "staff"}  # fmt: skip
    assert session.reply.headers["Cache-Control"] == "no-store"


def test_the_cookie_is_secure_when_the_proxy_says_https(console: Console) -> None:
    session = requests.Session()
    reply = session.post(
        f"{console.url}/staff/api/login",
        json={"username": "sam", "password": PASSWORD},
        headers={"X-Forwarded-For": next(ADDRESSES), "X-Forwarded-Proto": "https"},
    )
    assert reply.status_code == 200 and "Secure" in reply.headers["Set-Cookie"]


def test_an_untrusted_proxy_header_neither_secures_nor_moves_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without WEB_PROXIES_COUNT, X-Forwarded-* are a client's claims: ignored."""
    from core.settings import settings

    settings.cache_clear()
    server = start_console(tmp_path, monkeypatch, proxies=0)
    untrusted = next(server)
    try:
        claimed = requests.post(f"{untrusted.url}/staff/api/login",
                                json={"username": "sam", "password": PASSWORD},
                                headers={"X-Forwarded-Proto": "https"})  # fmt: skip
        assert claimed.status_code == 200 and "Secure" not in claimed.headers["Set-Cookie"]
        for number in range(5):  # five failures, each claiming another address
            headers = {"X-Forwarded-For": f"203.0.113.{number}", "X-Forwarded-Proto": "https"}
            wrong = {"username": f"nobody{number}", "password": "wrong password"}
            requests.post(f"{untrusted.url}/staff/api/login", headers=headers, json=wrong)
        reply = requests.post(f"{untrusted.url}/staff/api/login",
                              json={"username": "sam", "password": PASSWORD})  # fmt: skip
        assert reply.status_code == 429, "the real address, 127.0.0.1, is the one locked"
    finally:
        next(server, None)


def test_wrong_credentials_are_401_and_the_fifth_failure_locks_the_account(
    console: Console,
) -> None:
    for _ in range(4):
        failed = console.login("cora", "not the password")
        assert failed.reply.status_code == 401
        assert failed.reply.json() == {"error": "wrong login or password"}
        assert "Set-Cookie" not in failed.reply.headers
    locked = console.login("cora", "not the password")
    assert locked.reply.status_code == 429
    assert "locked for 15 minutes" in locked.reply.json()["error"]
    assert 14 * 60 < int(locked.reply.headers["Retry-After"]) <= 15 * 60
    assert console.login("cora").reply.status_code == 429  # the right password, another address
    # Fifteen minutes later (the failures moved back in time), the account opens again.
    console.sql("UPDATE staff_login_failures SET at = datetime(at, '-15 minutes', '-1 second')")
    assert console.login("cora").reply.status_code == 200


def test_five_failures_from_one_address_lock_that_address(console: Console) -> None:
    address = next(ADDRESSES)
    for number in range(5):
        console.login(f"guess{number}", "not the password", address=address)
    assert console.login("ada", address=address).reply.status_code == 429
    assert console.login("ada").reply.status_code == 200  # from elsewhere


def test_a_session_idle_for_eight_hours_has_expired(console: Console) -> None:
    session = console.login("sam")
    assert session.get(f"{console.url}/staff/api/handoffs").status_code == 200
    console.sql("UPDATE staff_sessions SET last_seen_at = datetime('now', '-8 hours', '-1 minute')")
    assert session.get(f"{console.url}/staff/api/handoffs").status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(console: Console) -> None:
    session = console.login("sam")
    assert session.post(f"{console.url}/staff/api/logout").status_code == 403
    reply = session.post(f"{console.url}/staff/api/logout", headers={"X-CSRF-Token": session.csrf})
    assert reply.status_code == 200 and "Max-Age=0" in reply.headers["Set-Cookie"]
    assert session.get(f"{console.url}/staff/api/handoffs").status_code == 401


def test_resolve_without_or_with_a_wrong_csrf_token_is_403(console: Console) -> None:
    handoff_id = handoff(console)
    session = console.login("sam")
    url = f"{console.url}/staff/api/handoffs/{handoff_id}/resolve"
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": console.login("ada").csrf}):
        reply = session.post(url, json={"note": "called"}, headers=headers)
        assert reply.status_code == 403 and "CSRF" in reply.json()["error"]
    assert console.handoffs.get(handoff_id).status == "open"


def test_the_inbox_lists_newest_first_with_callback_details_and_filters(console: Console) -> None:
    older, newer = handoff(console), handoff(console, reason="user_request")
    console.handoffs.record_callback(newer, "requested", name="Ann", phone="555 0100",
                                     best_time="mornings")  # fmt: skip
    session = console.login("sam")
    listing = session.get(f"{console.url}/staff/api/handoffs").json()
    ids = [item["handoff_id"] for item in listing["handoffs"]]
    assert ids.index(newer) < ids.index(older)
    item = next(item for item in listing["handoffs"] if item["handoff_id"] == newer)
    assert item["reason"] == "user_request" and item["status"] == "open"
    assert item["created_at"].endswith("Z") and listing["now"].endswith("Z")
    assert item["callback"] == "requested"
    assert item["contact"] == {"name": "Ann", "phone": "555 0100", "email": None,
                               "best_time": "mornings"}  # fmt: skip
    assert "transcript" not in item and "trigger_message" not in item
    assert item["language"] == "en"  # a request made without one
    only = session.get(f"{console.url}/staff/api/handoffs?reason=contraindication").json()
    assert {item["reason"] for item in only["handoffs"]} == {"contraindication"}
    assert session.get(f"{console.url}/staff/api/handoffs?status=maybe").status_code == 400


def test_the_inbox_and_the_detail_name_the_patients_language(console: Console) -> None:
    spanish = console.handoffs.create(
        f"c-{time.monotonic_ns()}", "user_request", "quiero hablar con alguien",
        f"m-{time.monotonic_ns()}", language="es",
    ).id  # fmt: skip
    session = console.login("sam")
    listing = session.get(f"{console.url}/staff/api/handoffs").json()["handoffs"]
    assert next(h for h in listing if h["handoff_id"] == spanish)["language"] == "es"
    detail = session.get(f"{console.url}/staff/api/handoffs/{spanish}").json()["handoff"]
    assert detail["language"] == "es"
    resolve = f"{console.url}/staff/api/handoffs/{spanish}/resolve"
    done = session.post(resolve, json={"note": "Llamé: cita el lunes"},
                        headers={"X-CSRF-Token": session.csrf})  # fmt: skip
    assert done.json()["handoff"]["language"] == "es"


def test_viewing_and_resolving_are_written_to_the_audit_log_only_admins_read(
    console: Console,
) -> None:
    handoff_id = handoff(console)
    sam = console.login("sam")
    detail = sam.get(f"{console.url}/staff/api/handoffs/{handoff_id}").json()["handoff"]
    assert detail["transcript"] == [{"speaker": "patient", "text": "I have glaucoma", "time": ""}]
    assert detail["transcript_source"] == "handoff"  # no conversation in the tracker store
    assert detail["trigger_message"] == "I have glaucoma" and detail["conditions"] == ["glaucoma"]
    resolve = f"{console.url}/staff/api/handoffs/{handoff_id}/resolve"
    assert sam.post(resolve, json={}, headers={"X-CSRF-Token": sam.csrf}).status_code == 400
    done = sam.post(resolve, json={"note": "Called back: booked a consult"},
                    headers={"X-CSRF-Token": sam.csrf})  # fmt: skip
    assert done.status_code == 200
    assert done.json()["handoff"]["status"] == "resolved"
    assert done.json()["handoff"]["resolved_by"] == "sam"
    again = sam.post(resolve, json={"note": "again"}, headers={"X-CSRF-Token": sam.csrf})
    assert again.status_code == 409
    resolved = sam.get(f"{console.url}/staff/api/handoffs/{handoff_id}").json()["handoff"]
    assert resolved["resolution_note"] == "Called back: booked a consult"

    assert sam.get(f"{console.url}/staff/api/audit").status_code == 403
    assert console.login("cora").get(f"{console.url}/staff/api/audit").status_code == 403
    entries = console.login("ada").get(f"{console.url}/staff/api/audit").json()["entries"]
    mine = [(e["username"], e["action"]) for e in entries if e["target"] == handoff_id]
    assert mine == [("sam", "handoff.view"), ("sam", "handoff.resolve"), ("sam", "handoff.view")]
    assert all(e["at"].endswith("Z") for e in entries)
    assert not any("Called back" in str(e) for e in entries), "the note is not in the audit log"


def test_an_unknown_handoff_is_404(console: Console) -> None:
    session = console.login("sam")
    for handoff_id in ("h-999999", "nonsense"):
        reply = session.get(f"{console.url}/staff/api/handoffs/{handoff_id}")
        assert reply.status_code == 404 and "error" in reply.json()


def test_a_route_for_curators_turns_staff_away_with_403(console: Console) -> None:
    url = f"{console.url}/staff/api/curators-only"
    reply = console.login("sam").get(url)
    assert reply.status_code == 403 and "staff role" in reply.json()["error"]
    assert console.login("cora").get(url).status_code == 200
    assert console.login("ada").get(url).status_code == 200


def test_the_console_pages_have_a_strict_policy_and_no_inline_anything(console: Console) -> None:
    page = requests.get(f"{console.url}/staff/")
    assert page.status_code == 200 and "/staff/console.js" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    library = requests.get(f"{console.url}/staff/vendor/preact-htm.js")
    assert library.status_code == 200 and "javascript" in library.headers["Content-Type"]
    assert requests.get(f"{console.url}/staff", allow_redirects=False).status_code == 302
    assert requests.get(f"{console.url}/staff/../core/settings.py").status_code == 404


async def test_insights_are_for_curators_and_admins_and_every_view_is_audited(
    console: Console,
) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(console.trackers))
    events = [UserUttered("Do you validate parking tickets?"),
              BotUttered(None, data={"custom": {"kind": "fallback"}})]  # fmt: skip
    await store.save(DialogueStateTracker.from_events("c-insights", events))
    handoff(console, reason="user_request")

    url = f"{console.url}/staff/api/insights"
    assert console.login("sam").get(url).status_code == 403
    assert console.login("sam").get(f"{url}.csv?table=topics").status_code == 403
    cora = console.login("cora")
    assert cora.get(f"{url}?days=0").status_code == 400
    assert cora.get(f"{url}?days=many").status_code == 400
    reply = cora.get(f"{url}?days=7")
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    found = reply.json()
    assert found["days"] == 7 and found["messages"] == 1 and found["answer_rate"] == 0
    assert found["unanswered"][0]["label"] == "Do you validate parking tickets?"
    assert {row["reason"] for row in found["handoffs"]["by_reason"]} >= {"user_request"}
    assert {"topic", "title", "answered", "up", "down"} <= set(found["topics"][0])
    assert console.login("ada").get(url).status_code == 200  # admins too; 30 days by default

    entries = console.login("ada").get(f"{console.url}/staff/api/audit").json()["entries"]
    views = [(e["username"], e["action"], e["target"]) for e in entries
             if e["action"].startswith("insights")]  # fmt: skip
    assert ("cora", "insights.view", "days=7") in views and (
        "ada",
        "insights.view",
        "days=30",
    ) in views
    assert not any("parking" in str(entry) for entry in entries), "no text in the audit log"


def test_insights_export_each_table_as_csv_with_a_file_name(console: Console) -> None:
    import csv

    cora = console.login("cora")
    url = f"{console.url}/staff/api/insights.csv"
    assert cora.get(f"{url}?table=secrets").status_code == 400
    headers = {
        "unanswered": ["group", "count", "label", "terms", "example_1", "example_2", "example_3"],
        "topics": ["topic", "title", "answered", "up", "down", "helpful_share"],
        "handoffs": ["reason", "count", "open", "resolved", "median_seconds", "p90_seconds"],
        "stale_content": ["topic", "title", "reviewed", "months_since_review"],
    }
    for name, header in headers.items():
        reply = cora.get(f"{url}?table={name}&days=14")
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
        disposition = reply.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="insights-{name}-14d-')
        assert disposition.endswith('.csv"')
        rows = list(csv.reader(reply.text.splitlines()))
        assert rows[0] == header and all(len(row) == len(header) for row in rows)
    topics = list(csv.reader(cora.get(f"{url}?table=topics").text.splitlines()))
    assert len(topics) > 40, "every topic of the content store, answered or not"
    entries = console.login("ada").get(f"{console.url}/staff/api/audit").json()["entries"]
    assert any(e["username"] == "cora" and e["action"] == "insights.export"
               and e["target"] == "stale_content days=14" for e in entries)  # fmt: skip
