"""The REST channel freezes the heap once the server has started (the model is loaded)."""

from __future__ import annotations

import asyncio
import gc

from rasa_server.rest_channel import ClinicRestInput


def test_the_channel_freezes_the_heap_after_the_server_starts() -> None:
    blueprint = ClinicRestInput().blueprint(lambda message: asyncio.sleep(0))
    listeners = [
        future.listener
        for future in blueprint._future_listeners
        if future.event == "after_server_start"
    ]
    assert len(listeners) == 1

    gc.unfreeze()
    try:
        asyncio.run(listeners[0](None, None))
        assert gc.get_freeze_count() > 100_000  # Rasa and the model are now skipped
    finally:
        gc.unfreeze()
