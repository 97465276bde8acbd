"""Serves the demo clinic page (web/) and the staff console (web/staff/, /staff/api/) on Sanic.

`make run` and the browser tests start it in a background thread
(`serve_page`); a deployment runs it as its own process:
`python -m tools.web_server --port 8080 --assistant-url https://chat.example/webhooks/rest/webhook`.

Only the page's own files and the bundles of its npm packages are served.
`config.json` is generated from the content store (the clinic profile,
content/clinic.yml, and the page's texts and banners, content/page.yml, in
each language: content/es/page.yml) and the assistant's public URL, so the
page shows the clinic's real name and phone and holds no text of its own.
A strict Content-Security-Policy allows scripts from this origin only and
connections only to the assistant (the staff console: only to this origin).
Requests are never logged: no patient data in logs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import sys
import threading
import urllib.parse
from pathlib import Path

from sanic import Sanic, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from core.content_store import default_store
from core.contract import MAX_MESSAGE_CHARS
from core.languages import ENGLISH, LANGUAGES
from core.settings import PROJECT_ROOT, settings

WEB_ROOT = PROJECT_ROOT / "web"
NODE_MODULES = WEB_ROOT / "node_modules"
PAGE_FILES = {"/": "index.html", "/index.html": "index.html", "/app.js": "app.js",
              "/styles.css": "styles.css"}  # fmt: skip
DEEP_CHAT = NODE_MODULES / "deep-chat" / "dist"

# An emergency category the page has no banner for (only if it is older than
# the assistant) still gets one: the medical banner says to call 911.
UNKNOWN_EMERGENCY_BANNER = "medical"

COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def page_config(assistant_url: str) -> dict:
    """What the page needs, `languages` holding its texts in each language it is offered in.

    The page starts in `defaultLanguage` and switches with its English/Español
    switch or the language of the replies (web/app.js).
    """
    content = default_store().content
    languages = {}
    for language in LANGUAGES:
        texts = content.page_texts(language)
        languages[language] = {
            "texts": texts,
            "unknownEmergencyBanner": texts["emergency_banners"][UNKNOWN_EMERGENCY_BANNER],
        }
    return {
        "assistantUrl": assistant_url,
        "clinicName": content.clinic.clinic_name,
        "clinicPhone": content.clinic.phone,
        "maxMessageChars": MAX_MESSAGE_CHARS,
        "defaultLanguage": ENGLISH,
        "languages": languages,
    }


def page_policy(assistant_url: str) -> str:
    origin = urllib.parse.urlsplit(assistant_url)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self' {origin.scheme}://{origin.netloc}; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


async def send_file(path: Path) -> HTTPResponse:
    if not path.is_file():
        raise NotFound("not found")
    return await response.file(path)


def file_in(folder: Path, name: str) -> Path:
    """A file inside `folder`, never outside it (no `..`, no directory listing)."""
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise NotFound("not found")
    return path


class WebApp(Sanic):
    """Sanic, startable more than once in a process (the tests start several servers).

    Sanic rewrites its request handler each time an app starts; in `test_mode`
    it rewrites from the original rather than from the last app's rewrite,
    which fails.
    """

    test_mode = True


_app_numbers = itertools.count(1)


def create_app(assistant_url: str, staff_console: object | None = None) -> WebApp:
    """The page's app; with a `tools.staff_console.StaffConsole`, the staff console too."""
    from tools.staff_console import STAFF_POLICY, add_staff_console

    # Sanic keeps a registry of apps by name: one name per app in this process.
    app = WebApp(f"clinic_web_{next(_app_numbers)}", configure_logging=False, strict_slashes=True)
    app.config.ACCESS_LOG = False
    app.config.FALLBACK_ERROR_FORMAT = "text"
    if settings().web_proxies_count:
        app.config.PROXIES_COUNT = settings().web_proxies_count
    policy = page_policy(assistant_url)

    @app.get("/config.json")
    async def config_json(request: Request) -> HTTPResponse:
        return response.json(page_config(assistant_url), headers={"Cache-Control": "no-store"})

    for route, name in PAGE_FILES.items():
        app.add_route(
            lambda request, name=name: send_file(WEB_ROOT / name),
            route,
            name=f"page_{name.replace('.', '_')}_{len(route)}",
        )

    @app.get("/node_modules/deep-chat/dist/<name:path>")
    async def deep_chat(request: Request, name: str) -> HTTPResponse:
        return await send_file(file_in(DEEP_CHAT, name))

    add_staff_console(app, staff_console)

    @app.on_response
    async def security_headers(request: Request, reply: HTTPResponse) -> None:
        staff = request.path == "/staff" or request.path.startswith("/staff/")
        reply.headers["Content-Security-Policy"] = STAFF_POLICY if staff else policy
        for header, value in COMMON_HEADERS.items():
            reply.headers[header] = value

    return app


class WebServer:
    """A Sanic app served by an event loop in a background thread; `.shutdown()` stops it."""

    def __init__(self, app: Sanic, host: str, port: int) -> None:
        self.app, self.host, self.port = app, host, port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web-server", daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise TimeoutError(f"the web server did not start on port {self.port}")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start(), which raises it
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        # Sanic 21.12's create_server already listens when it returns.
        server = await self.app.create_server(
            host=self.host, port=self.port, return_asyncio_server=True, access_log=False
        )
        await server.startup()
        await server.before_start()
        await server.after_start()
        self._ready.set()
        await self._stopping.wait()
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    def shutdown(self) -> None:
        if self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)


def serve_page(
    port: int, assistant_url: str, host: str = "127.0.0.1", staff_console: object | None = None
) -> WebServer:
    """Starts the page (and staff console) server in a background thread; `.shutdown()` stops it.

    Without `staff_console`, the console reads the databases the settings name
    (HANDOFF_DB_URL, TRACKER_STORE_URL or TRACKER_DB).
    """
    from tools.staff_console import StaffConsole

    if not DEEP_CHAT.is_dir():
        raise FileNotFoundError("deep-chat is not installed: run `npm ci` in web/ (make install)")
    console = staff_console or StaffConsole.from_settings()
    return WebServer(create_app(assistant_url, console), host, port).start()


def page_origins(port: int) -> list[str]:
    """The origins the Rasa server's CORS allows by default: this page's."""
    configured = settings().allowed_origins
    if configured:
        return list(configured)
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.web_server", description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default=settings().web_host)
    parser.add_argument("--assistant-url", default="http://localhost:5005/webhooks/rest/webhook")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    server = serve_page(args.port, args.assistant_url, host=args.host)
    print(f"Serving the page and the staff console on http://{args.host}:{args.port}/", flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
