"""Serves the demo clinic page (web/) for `make run` and the browser tests.

Only the page's own files and the deep-chat bundle are served. `config.json`
is generated from the content store (the clinic profile, content/clinic.yml,
and the page's texts and banners, content/page.yml) and the assistant's
public URL, so the page shows the clinic's real name and phone and holds no
text of its own. A strict
Content-Security-Policy allows scripts from this origin only and connections
only to the assistant.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from core.content_store import default_store
from core.contract import MAX_MESSAGE_CHARS
from core.settings import PROJECT_ROOT, settings

WEB_ROOT = PROJECT_ROOT / "web"
SERVED = ("/", "/index.html", "/app.js", "/styles.css", "/node_modules/deep-chat/dist/")


# An emergency category the page has no banner for (only if it is older than
# the assistant) still gets one: the medical banner says to call 911.
UNKNOWN_EMERGENCY_BANNER = "medical"


def page_config(assistant_url: str) -> dict:
    content = default_store().content
    texts = content.page_texts()
    return {
        "assistantUrl": assistant_url,
        "clinicName": content.clinic.clinic_name,
        "clinicPhone": content.clinic.phone,
        "maxMessageChars": MAX_MESSAGE_CHARS,
        "texts": texts,
        "unknownEmergencyBanner": texts["emergency_banners"][UNKNOWN_EMERGENCY_BANNER],
    }


class PageHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, assistant_url: str, **kwargs) -> None:
        self.assistant_url = assistant_url
        super().__init__(*args, directory=str(WEB_ROOT), **kwargs)

    def end_headers(self) -> None:
        origin = urllib.parse.urlsplit(self.assistant_url)
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; connect-src 'self' {origin.scheme}://{origin.netloc}; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/config.json":
            body = json.dumps(page_config(self.assistant_url)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        if not any(
            path == p or (p.endswith("/") and p != "/" and path.startswith(p)) for p in SERVED
        ):
            self.send_error(404)
            return
        super().do_GET()

    def list_directory(self, path: str | os.PathLike) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass  # requests are not logged: no patient data in logs


def serve_page(port: int, assistant_url: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Starts the page server in a background thread; `.shutdown()` stops it."""
    if not (WEB_ROOT / "node_modules" / "deep-chat" / "dist").is_dir():
        raise FileNotFoundError("deep-chat is not installed: run `npm ci` in web/ (make install)")
    server = ThreadingHTTPServer((host, port), partial(PageHandler, assistant_url=assistant_url))
    threading.Thread(target=server.serve_forever, name="page-server", daemon=True).start()
    return server


def page_origins(port: int) -> list[str]:
    """The origins the Rasa server's CORS allows by default: this page's."""
    configured = settings().allowed_origins
    if configured:
        return list(configured)
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
