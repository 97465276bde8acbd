"""The folders say which process loads the code: checks that keep them honest."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from core.settings import PROJECT_ROOT, SETTINGS, Settings, settings

CORE = PROJECT_ROOT / "core"
FRAMEWORKS = ("rasa", "rasa_sdk", "sanic", "tensorflow")
OWN_CODE = ("core", "rasa_server", "actions", "tools", "bench")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_core_names_no_framework() -> None:
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in FRAMEWORKS
        )
        for path in CORE.rglob("*.py")
    }
    assert not {path: names for path, names in offenders.items() if names}


def test_importing_all_of_core_loads_no_framework() -> None:
    """Not even through another module: the page server and staff commands stay light."""
    modules = sorted(
        ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for path in CORE.rglob("*.py")
        if path.name != "__init__.py"
    )
    probe = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted({{n.split('.')[0] for n in sys.modules}} & {set(FRAMEWORKS)!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_only_the_settings_module_reads_the_environment_or_finds_the_root() -> None:
    reads = re.compile(r"os\.environ\.get|os\.getenv|Path\(__file__\)\.resolve\(\)\.parent\.parent")
    found = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in OWN_CODE
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if reads.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["core/settings.py"]


def shown_default(default: str | None) -> str:
    """A default as the README shows it: paths relative to the project, "unset" for none."""
    if default is None:
        return "unset"
    return default.replace(f"{PROJECT_ROOT}/", "").replace(f"{PROJECT_ROOT.parent}/", "../")


def test_every_setting_is_typed_and_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| `?([^|`]*)`? \|", table, re.MULTILINE))
    assert set(SETTINGS) == set(Settings.__dataclass_fields__)
    assert rows == {s.env: shown_default(s.default) for s in SETTINGS.values()}


def test_settings_are_typed_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("REPLY_DEADLINE_SECONDS", "2.5")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("HANDOFF_WEBHOOK_URL", "")
    settings.cache_clear()
    current = settings()
    assert current.retention_days == 30
    assert current.reply_deadline_seconds == 2.5
    assert current.allowed_origins == ("https://a.example", "https://b.example")
    assert current.handoff_webhook_url is None  # empty counts as unset
    assert current.content_dir == PROJECT_ROOT / "content"
