"""Staff passwords: a minimum length, and argon2id hashes from argon2-cffi.

No hashing of our own: argon2-cffi's `PasswordHasher` salts, hashes with its
RFC 9106 parameters and encodes everything it needs to verify in one string.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"a staff password needs at least {MIN_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the library's parameters have grown since this hash was made."""
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """Checked against when no account has the name, so an unknown name takes as long."""
    return _hasher.hash("no account has this password")
