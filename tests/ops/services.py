"""The services a slow test starts for itself: a redis-server of its own on a free port, and
Celery workers and beat in production settings, connected to the test database.

Never the shared Redis a machine may run (127.0.0.1:6379): each server here is started on a
free port, with nothing saved to disk, and stopped by its own process id.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

# Production settings, as a deployment sets them (DEBUG off), over local plain HTTP.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "acceptance-tests-only-key-never-used-to-serve-anything-0123456789",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


class RedisServer:
    """A redis-server of the test session's own: started, stopped and started again on the
    same port (a broker that goes down and comes back, empty, as an unsaved Redis does)."""

    def __init__(self) -> None:
        assert REDIS_SERVER, "redis-server is not installed"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for(self.answers, timeout=10):
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def test_database_url() -> str:
    """The test database, as a URL a worker process opens (its DATABASE_URL)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


def celery_env(broker_url: str, **extra: str) -> dict[str, str]:
    """A worker's or beat's environment: production settings, the test database, this broker."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' own, never a deployment's.
    unset = {"DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_QUEUE"}
    environ = {key: value for key, value in os.environ.items() if key not in unset}
    return {
        **environ,
        **PRODUCTION_ENV,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": broker_url,
        **extra,
    }


def start_worker(
    broker_url: str, name: str = "worker", queue: str = "", **extra: str
) -> tuple[subprocess.Popen, str]:
    """A Celery worker (one process, the solo pool) in production settings, on the default
    queue or `queue`; returns once it answers a ping."""
    process, hostname = spawn_worker(broker_url, name, queue, **extra)
    await_worker(process, hostname)
    return process, hostname


def spawn_worker(
    broker_url: str, name: str = "worker", queue: str = "", **extra: str
) -> tuple[subprocess.Popen, str]:
    """`start_worker` without waiting: a worker takes seconds to start, so several are spawned
    at once, then awaited (`await_worker`)."""
    hostname = f"{name}-{uuid.uuid4().hex[:6]}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-n", hostname,
         *(["-Q", queue] if queue else []),
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=ROOT,
        env=celery_env(broker_url, **extra),
    )  # fmt: skip
    return process, hostname


def await_worker(process: subprocess.Popen, hostname: str, timeout: float = 90) -> None:
    """Wait until the worker answers a ping (this process's app on the worker's broker)."""
    from config.celery import app

    def up() -> bool:
        return process.poll() is not None or bool(
            app.control.ping(destination=[hostname], timeout=0.5)
        )

    if not wait_for(up, timeout=timeout, every=0) or process.poll() is not None:
        stop(process)
        raise RuntimeError(f"the Celery worker did not start (exit status {process.poll()})")


def start_beat(broker_url: str, **extra: str) -> tuple[subprocess.Popen, Path]:
    """Celery beat in production settings, its schedule file in a folder of its own."""
    folder = Path(tempfile.mkdtemp(prefix="cdmo-beat-"))
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "warning",
         "-s", str(folder / "schedule"), "--pidfile", str(folder / "beat.pid")],
        cwd=ROOT,
        env=celery_env(broker_url, **extra),
    )  # fmt: skip
    return process, folder


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop a process this module started, by its id."""
    if process is None:
        return
    if process.poll() is not None:
        process.wait()
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def app_broker(url: str) -> Iterator[None]:
    """This process's Celery app sending through `url` for real (not in-process), then as it
    was."""
    from config.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    _drop_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        _drop_pools(app)


def _drop_pools(app) -> None:
    """The app keeps the connection pool of the broker it first used: forget it (kombu keeps
    one pool per broker URL, open, for whoever uses that URL next)."""
    app._pool = None
    app.amqp._producer_pool = None
