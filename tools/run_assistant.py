"""`make run`: start the action server and the Rasa server, keep them up, stop both on Ctrl-C.

A crashed action server is restarted by itself, so a patient's next question
is answered again without anyone at the keyboard.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from core.settings import settings
from tools.processes import (
    DEFAULT_MODEL,
    NO_RATE_LIMITS,
    ManagedProcess,
    action_server,
    rasa_server,
)
from tools.web_server import page_origins, serve_page

LOG_DIR = settings().log_dir
RESTART_DELAY_SECONDS = 1.0


def banner(rasa_port: int, web_port: int, rate_limited: bool = True) -> str:
    url = f"http://localhost:{rasa_port}/webhooks/rest/webhook"
    limits = "" if rate_limited else "  Rate limits:  off (--no-rate-limits), for the evaluators\n"
    return (
        "\nThe assistant is running.\n"
        f"  Clinic page:  http://localhost:{web_port}/\n"
        f"  Staff inbox:  http://localhost:{web_port}/staff/ "
        "(accounts: make staff-user NAME=<login> ROLE=<staff|curator|admin>)\n"
        f"  REST channel: {url}\n"
        f"  Try it:       curl -s -X POST {url} -H 'Content-Type: application/json' "
        '-d \'{"sender": "demo-1", "message": "What is ketamine?"}\'\n'
        "  Staff shell:  make shell (in another terminal)\n"
        f"  Logs:         {LOG_DIR}/\n"
        f"{limits}"
        "Press Ctrl-C to stop everything.\n"
    )


class Supervisor:
    """Keeps the processes up until asked to stop."""

    def __init__(
        self,
        actions: ManagedProcess,
        rasa: ManagedProcess,
        web_port: int,
        rate_limited: bool = True,
    ) -> None:
        self.actions = actions
        self.rasa = rasa
        self.web_port = web_port
        self.rate_limited = rate_limited
        self.stopping = False

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, rasa_port: int) -> int:
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        try:
            self.actions.start()
            self.actions.wait_ready(timeout=60)
            print(
                f"Action server ready ({self.actions.health_url}, pid {self.actions.process.pid})",
                flush=True,
            )
            self.rasa.start()
            self.rasa.wait_ready(timeout=180)
            url = f"http://localhost:{rasa_port}/webhooks/rest/webhook"
            page = serve_page(self.web_port, url, host=settings().web_host)
            print(banner(rasa_port, self.web_port, self.rate_limited), flush=True)
            try:
                return self.watch()
            finally:
                page.shutdown()
        except (RuntimeError, TimeoutError, OSError) as error:
            print(f"Could not start: {error}. See {LOG_DIR}/", file=sys.stderr)
            return 1
        finally:
            self.rasa.stop()
            self.actions.stop()
            print("Stopped.", flush=True)

    def watch(self) -> int:
        while not self.stopping:
            if not self.rasa.running():
                print("The Rasa server stopped; shutting down.", file=sys.stderr)
                return 1
            if not self.actions.running():
                print("The action server stopped; restarting it.", file=sys.stderr, flush=True)
                time.sleep(RESTART_DELAY_SECONDS)
                self.actions.start()
                print(f"Action server restarted (pid {self.actions.process.pid})", flush=True)
            time.sleep(0.5)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="for the evaluators and bench.soak, which send hundreds of messages a minute "
        "from this machine: no per-conversation or per-address limit (README, Rate limits)",
    )
    args = parser.parse_args()

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    actions = action_server(args.action_port, log_path=LOG_DIR / "action-server.log")
    rasa = rasa_server(
        args.port,
        args.action_port,
        model=args.model,
        log_path=LOG_DIR / "rasa-server.log",
        cors_origins=page_origins(args.web_port),
        **(NO_RATE_LIMITS if args.no_rate_limits else {}),
    )
    return Supervisor(actions, rasa, args.web_port, not args.no_rate_limits).run(args.port)


if __name__ == "__main__":
    sys.exit(main())
