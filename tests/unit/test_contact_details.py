"""Reading callback contact details."""

import pytest

from core.contact_details import Contact, clean_name, parse_contact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512-555-0123", Contact(phone="(512) 555-0123")),
        ("(512) 555 0123", Contact(phone="(512) 555-0123")),
        ("+1 512 555 0123", Contact(phone="(512) 555-0123")),
        ("+44 20 7946 0958", Contact(phone="+442079460958")),
        ("my email is Ana.Lopez@Example.com", Contact(email="ana.lopez@example.com")),
    ],
)
def test_usable_contact_is_normalised(text: str, expected: Contact) -> None:
    assert parse_contact(text) == expected


@pytest.mark.parametrize("text", ["123", "call me maybe", "555-0123", "012-345-6789", "ana@", ""])
def test_unusable_contact_is_refused(text: str) -> None:
    assert parse_contact(text) is None


def test_name_must_look_like_a_name() -> None:
    assert clean_name("  Ana   Lopez ") == "Ana Lopez"
    assert clean_name("how much does it cost?") is None
    assert clean_name("12345") is None
    assert clean_name("x" * 200) is None
