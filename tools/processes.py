"""Starting, watching and stopping the assistant's processes.

One place that knows how to launch the action server and the Rasa server, so
`make run`, `make shell` and the server tests start them the same way.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.settings import DEFAULT_MODEL, PROJECT_ROOT, settings

VENV_BIN = Path(sys.executable).parent


def assistant_env(**overrides: str) -> dict[str, str]:
    """The environment every assistant process runs with."""
    env = dict(os.environ)
    # A clinic's conversations stay in the clinic: never send usage data.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(overrides)
    return env


# The server tests, the bench and the evaluators send hundreds of messages a
# minute from 127.0.0.1: the servers they start say so, with limits off
# (README, "Rate limits"). The tests of the limits set their own.
NO_RATE_LIMITS = {"RATE_LIMIT_PER_CONVERSATION": "0", "RATE_LIMIT_PER_ADDRESS": "0"}


TRACKER_STORE = "rasa_server.tracker_store.CachedSQLTrackerStore"  # Rasa's SQL store, cached


def tracker_store_config(url: str | None = None, sqlite_path: Path | None = None) -> dict:
    """The SQL tracker store: `TRACKER_STORE_URL` (e.g. PostgreSQL) or a SQLite file."""
    url = url or settings().tracker_store_url
    if not url:
        path = sqlite_path or settings().tracker_db
        path.parent.mkdir(parents=True, exist_ok=True)
        return {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(path)}
    parts = urllib.parse.urlsplit(url)
    config = {
        "type": TRACKER_STORE,
        "dialect": parts.scheme,
        "url": parts.hostname,  # Rasa's SQL tracker store reads the host from `url`
        "db": parts.path.lstrip("/"),
    }
    if parts.port:
        config["port"] = parts.port
    if parts.username:
        config["username"] = urllib.parse.unquote(parts.username)
    if parts.password:
        config["password"] = urllib.parse.unquote(parts.password)
    return config


def lock_store_config(url: str | None = None) -> dict | None:
    """Rasa's Redis lock store from `LOCK_STORE_URL` (redis://host:port/db), for replicas.

    With several Rasa servers, it makes the turns of one conversation run one
    at a time, in order, whichever server each turn reaches.
    """
    url = url or settings().lock_store_url
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    config: dict = {
        "type": "rasa_server.lock_store.AtomicRedisLockStore",  # Rasa's, made atomic
        "url": parts.hostname,
        "port": parts.port or 6379,
    }
    if parts.path.strip("/"):
        config["db"] = int(parts.path.strip("/"))
    if parts.password:
        config["password"] = urllib.parse.unquote(parts.password)
    return config


def postgres_bin(name: str) -> str:
    """A program of Debian's newest installed PostgreSQL (`make test` installs it)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError("PostgreSQL is missing: make test installs it from Debian")
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a loopback port, with databases `trackers` and
    `handoffs` (scale-out test, insights bench); yields its base URL."""
    from sqlalchemy import create_engine, text

    root = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    owner = pwd.getpwnam("postgres")
    os.chmod(root, 0o755)
    for path in (root, sockets):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()

    def as_postgres(*command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip

    as_postgres(postgres_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "assistant")
    as_postgres(postgres_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(root / "pg.log"), "-o",
                f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1", "start")  # fmt: skip
    try:
        engine = create_engine(f"postgresql://assistant@127.0.0.1:{port}/postgres",
                               isolation_level="AUTOCOMMIT")  # fmt: skip
        with engine.connect() as connection:
            connection.execute(text("CREATE DATABASE trackers"))
            connection.execute(text("CREATE DATABASE handoffs"))
        engine.dispose()
        yield f"postgresql://assistant@127.0.0.1:{port}"
    finally:
        as_postgres(postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server(work: Path) -> Iterator[str]:
    """A throwaway Redis for the lock store (bench, tests); nothing is written to disk.

    Yields its URL once it accepts connections.
    """
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise TimeoutError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def write_endpoints(
    action_port: int,
    directory: Path,
    tracker_store: dict | None = None,
    lock_store: dict | None = None,
) -> Path:
    """An endpoints file: the action server's port, the tracker store and the lock store."""
    endpoints = {
        "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"},
        "tracker_store": tracker_store or tracker_store_config(),
    }
    lock = lock_store or lock_store_config()
    if lock:
        endpoints["lock_store"] = lock
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    path.chmod(0o600)  # may hold a database password
    return path


def free_port() -> int:
    """A port nothing on this machine listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class ManagedProcess:
    """A child process with the URL that answers once it is ready."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str]
    log_path: Path | None = None
    # Files only this process needs (the Rasa server's endpoints.yml, which may
    # hold a database password): removed when it is stopped.
    scratch: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        stdout = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_up(self.health_url):
                return
            if not self.running():
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}")
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready at {self.health_url} after {timeout:.0f} s")

    def stop(self, timeout: float = 10) -> None:
        try:
            if self.running():
                # The process leads its own group: stop it and anything it started.
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        finally:
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)


def action_server(port: int, log_path: Path | None = None, **env: str) -> ManagedProcess:
    return ManagedProcess(
        name="action server",
        command=[sys.executable, "-m", "actions"],
        health_url=f"http://127.0.0.1:{port}/health",
        env=assistant_env(ACTION_SERVER_PORT=str(port), **env),
        log_path=log_path,
    )


def web_server(
    port: int, assistant_url: str, log_path: Path | None = None, **env: str
) -> ManagedProcess:
    """The page and staff console server (`python -m tools.web_server`) as its own process."""
    return ManagedProcess(
        name="web server",
        command=[sys.executable, "-m", "tools.web_server", "--port", str(port),
                 "--host", "127.0.0.1", "--assistant-url", assistant_url],
        health_url=f"http://127.0.0.1:{port}/",
        env=assistant_env(**env),
        log_path=log_path,
    )  # fmt: skip


def rasa_server(
    port: int,
    action_port: int,
    model: Path = DEFAULT_MODEL,
    log_path: Path | None = None,
    extra_args: list[str] | None = None,
    tracker_store: dict | None = None,
    cors_origins: list[str] | None = None,
    lock_store: dict | None = None,
    **env: str,
) -> ManagedProcess:
    """The Rasa server with our channels. CORS allows only `cors_origins` (none by default).

    Started through our entry point (`python -m rasa_server run ...`), which
    installs the speed-ups (rasa_server/patches/) before `rasa run` takes over.
    Rasa's HTTP API stays off: this project never passes --enable-api.
    """
    scratch = Path(tempfile.mkdtemp(prefix="rasa-endpoints-"))
    endpoints = write_endpoints(action_port, scratch, tracker_store, lock_store)
    command = [
        sys.executable,
        "-m",
        "rasa_server",
        "run",
        "--model",
        str(model),
        "--port",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        *(["--cors", *cors_origins] if cors_origins else []),
        *(extra_args or []),
    ]
    return ManagedProcess(
        name="Rasa server",
        command=command,
        health_url=f"http://127.0.0.1:{port}/",
        env=assistant_env(**env),
        log_path=log_path,
        scratch=scratch,
    )
