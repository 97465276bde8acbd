"""Gives each Sanic worker its own listening socket, so the kernel shares connections out.

With `SANIC_WORKERS` above 1, Sanic 21.12 binds one socket in the main
process and every worker accepts from it. A worker woken by a new connection
accepts all that are waiting, so a burst of connections (ten patients
arriving together, or a proxy opening its pool) lands on one worker while
the others idle, and with keep-alive it stays there: measured here, all ten
connections of a 10-conversation load on one of two workers, and half the
machine unused. Here each worker binds the port itself with SO_REUSEPORT and
the kernel spreads new connections over the workers' sockets.

Only the multi-worker start changes; a single worker, a given socket or a
unix socket start as Sanic starts them.

Installed, with the other speed-ups, only by the Rasa server's entry point
(`python -m rasa_server`, rasa_server/__main__.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from signal import SIGINT, SIGTERM
from signal import signal as set_signal_handler
from typing import Any

import sanic.app
from sanic.server.events import trigger_events
from sanic.server.runners import serve, serve_multiple

from rasa_server.patches.patch import Patch
from rasa_server.version_guard import Original, Versions


def serve_workers(server_settings: dict[str, Any], workers: int) -> None:
    """Starts `workers` processes that each listen on the port, and waits for them."""
    if server_settings.get("sock") is not None or server_settings.get("unix"):
        serve_multiple(server_settings, workers)
        return
    server_settings["reuse_port"] = True  # each worker binds host:port with SO_REUSEPORT
    server_settings["run_multiple"] = True
    main_start = server_settings.pop("main_start", None)
    main_stop = server_settings.pop("main_stop", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    trigger_events(main_start, loop)

    processes: list[multiprocessing.Process] = []

    def stop_workers(_signal: int, _frame: Any) -> None:
        for process in processes:
            os.kill(process.pid, SIGTERM)

    set_signal_handler(SIGINT, stop_workers)
    set_signal_handler(SIGTERM, stop_workers)
    context = multiprocessing.get_context("fork")
    for _ in range(workers):
        process = context.Process(target=serve, kwargs=server_settings, daemon=True)
        process.start()
        processes.append(process)
    for process in processes:
        process.join()
    for process in processes:  # in case one returned while another hangs
        process.terminate()
    trigger_events(main_stop, loop)
    loop.close()


PATCH = Patch(
    name="sanic_workers",
    does="each Sanic worker listens on its own SO_REUSEPORT socket",
    # What Sanic.run calls for several workers: Sanic's own serve_multiple.
    target=Original(sanic.app, "serve_multiple", "99b3a99a66b0def5"),
    replacement=serve_workers,
    written_for=Versions(rasa="3.6.21", sanic="21.12.2", python="3.10"),
)
