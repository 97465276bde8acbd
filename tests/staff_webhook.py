"""A real staff webhook on loopback, for tests: it can be down (503) or up (200)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StaffWebhook:
    """A real HTTP endpoint on loopback that can be down (503) or up (200)."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[dict] = []
        self.keys: list[str] = []
        # Each delivered request's headers and raw body, for signature checks.
        self.raw: list[tuple[dict[str, str], bytes]] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if webhook.up:
                    webhook.received.append(json.loads(body))
                    webhook.keys.append(self.headers["Idempotency-Key"])
                    webhook.raw.append((dict(self.headers.items()), body))
                self.send_response(200 if webhook.up else 503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/handoffs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
