"""Starts the action server after checking the content store.

`python -m actions` refuses to start on broken content, printing the file,
the entry and the problem, so patients are never answered from it.
"""

from __future__ import annotations

import logging
import os
import sys

from actions.handoff import handoff_store
from core.content_store import ContentError, default_store
from core.handoffs.notifier import NotifierThread, notifier_from_env
from core.settings import settings


def main() -> int:
    logging.basicConfig(level=settings().log_level)
    try:
        content = default_store().content
    except ContentError as error:
        print(f"Content error, action server not started: {error}", file=sys.stderr)
        return 1
    logging.getLogger(__name__).info("Content OK: %d answers", len(content.answers))
    # Staff notifications are delivered in the background, retried until the webhook answers.
    NotifierThread(notifier_from_env(handoff_store())).start()

    # The action server only talks to the Rasa server: keep it off public interfaces.
    os.environ.setdefault("SANIC_HOST", settings().action_server_host)
    from rasa_sdk.endpoint import run

    run("actions", port=settings().action_server_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
