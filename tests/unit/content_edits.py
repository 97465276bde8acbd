"""Breaking a copy of the content on purpose, and reading the error it gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.content_store import Content, ContentError


def rewrite(path: Path, old: str, new: str) -> None:
    """Replaces the first `old` in the file, which must be there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def remove_entry(path: Path, key: str) -> None:
    """Removes a top-level `key: ...` line, as a translator who forgot it would."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith(f"{key}:")))


def load_error(root: Path) -> ContentError:
    """The error loading the content folder at `root` raises."""
    with pytest.raises(ContentError) as caught:
        Content.load(root)
    return caught.value
