"""Keeps the loaded model out of the garbage collector's full collections.

The Rasa server holds about half a million long-lived objects once its model
is loaded (Rasa, TensorFlow's modules, the model). Python's full (oldest
generation) collections walk all of them: on this machine a few times a
minute, 100-230 ms each, during which no patient is answered. Freezing the
heap once the model is loaded (`gc.freeze`) moves those objects to a
permanent generation the collector skips; objects created afterwards are
collected as before.
"""

from __future__ import annotations

import gc
from typing import Any


async def freeze_after_start(_app: Any, _loop: Any) -> None:
    """A Sanic `after_server_start` listener: by then Rasa has loaded the model."""
    gc.collect()  # free what loading left behind before freezing the rest
    gc.freeze()
