"""One speed-up to Rasa's or Sanic's internals, and how it is installed safely."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_server.version_guard import Original, Versions, refusal

logger = logging.getLogger("rasa_server.patches")


@dataclass(frozen=True)
class Patch:
    """Replaces `target` with `replacement`, only where both were written for.

    `also_reproduces` lists what else the replacement re-implements (a
    function the target calls, say): if any of it changed, the replacement
    would no longer do what Rasa does, so it is not installed either.
    """

    name: str
    does: str  # what it changes, for the log
    target: Original
    replacement: Callable[..., Any]
    written_for: Versions
    also_reproduces: tuple[Original, ...] = ()
    original: Any = field(init=False, repr=False)  # as found when this module was loaded

    def __post_init__(self) -> None:
        object.__setattr__(self, "original", self.target.current())

    def installed(self) -> bool:
        return self.target.current() is self.replacement

    def install(self) -> bool:
        """Installs the replacement if it fits; says why not otherwise. True once in place."""
        if self.installed():
            return True
        reason = refusal(self.written_for, (self.target, *self.also_reproduces))
        if reason is not None:
            logger.warning(
                "Speed-up %s not installed: %s. Rasa runs as shipped: correct, only slower.",
                self.name,
                reason,
            )
            return False
        setattr(self.target.owner, self.target.attribute, self.replacement)
        logger.info("Speed-up %s installed: %s (replaces %s)", self.name, self.does, self.target)
        return True
