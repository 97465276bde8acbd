"""Lets a speed-up run only against the Rasa and Sanic code it was written for.

Our speed-ups (rasa_server/patches/, rasa_server/count_vectors.py) each
re-implement a private part of Rasa, Sanic or a library they call. Private
code changes without notice between releases, so each declares the versions
it was written and tested for, and a fingerprint of every function it stands
in for, taken from those versions. On any other version, or if a function is
no longer the one it was written against, it must not run: Rasa's own code
runs instead, which is correct, only slower.
"""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Versions:
    rasa: str
    sanic: str
    python: str  # fingerprints are of compiled code, which differs between Pythons

    def __str__(self) -> str:
        return f"rasa {self.rasa}, sanic {self.sanic}, Python {self.python}"


def installed_versions() -> Versions:
    import rasa
    import sanic

    return Versions(rasa.__version__, sanic.__version__, "{}.{}".format(*sys.version_info))


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, types.CodeType):
        for part in (value.co_code, value.co_names, value.co_varnames, value.co_freevars):
            digest.update(repr(part).encode())
        digest.update(repr((value.co_argcount, value.co_kwonlyargcount, value.co_flags)).encode())
        for constant in value.co_consts:
            _feed(digest, constant)
    elif isinstance(value, tuple):
        for item in value:
            _feed(digest, item)
    elif isinstance(value, frozenset):  # its order changes with the hash seed
        for item in sorted(repr(item) for item in value):
            digest.update(item.encode())
    else:
        digest.update(repr(value).encode())


def fingerprint(function: Any) -> str:
    """A digest of a function's compiled code: instructions, names and constants.

    File paths and line numbers are left out, so it is the same wherever the
    library is installed; any change to what the function does changes it.
    """
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    if code is None:
        return "not a function"
    digest = hashlib.sha256()
    _feed(digest, code)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Original:
    """A function as a speed-up was written against it: where it lives, and its fingerprint."""

    owner: Any  # the class or module that holds it
    attribute: str
    fingerprint: str

    def current(self) -> Any:
        return vars(self.owner).get(self.attribute)

    def __str__(self) -> str:
        owner = getattr(self.owner, "__qualname__", None)
        prefix = f"{self.owner.__module__}.{owner}" if owner else self.owner.__name__
        return f"{prefix}.{self.attribute}"


def refusal(written_for: Versions, originals: Iterable[Original]) -> str | None:
    """Why code written for `written_for`, against `originals`, must not run here; else None."""
    installed = installed_versions()
    if installed != written_for:
        return f"it was written for {written_for}; this is {installed}"
    for original in originals:
        found = fingerprint(original.current())
        if found != original.fingerprint:
            return (
                f"{original} is not the code it was written against "
                f"(fingerprint {found}, expected {original.fingerprint})"
            )
    return None
