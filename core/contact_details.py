"""Reading a callback contact: a phone number or an email address."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None

    def __str__(self) -> str:
        return self.phone or self.email or ""


def parse_contact(text: str) -> Contact | None:
    """A US phone number (10 digits, or 11 starting with 1), an international
    number written with +, or an email address; None when it is neither."""
    text = text.strip()
    email = EMAIL.search(text)
    if email:
        return Contact(email=email.group(0).lower())
    if re.search(r"[A-Za-z]{3,}", text.replace("ext", "")):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] not in "01":
        return Contact(phone=f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
    if text.startswith("+") and 8 <= len(digits) <= 15:
        return Contact(phone=f"+{digits}")
    return None


def clean_name(text: str) -> str | None:
    """A plausible name: some letters, not a question, not a long message."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_LENGTH or "?" in name:
        return None
    if not re.search(r"[^\W\d_]", name):
        return None
    return name
