"""Real Celery workers and a real broker, for the tests marked ``postgres`` and ``redis``.

The rest of the suite runs tasks eagerly in-process; ``broker()`` points this process's Celery
app at a real broker (or at a port where nothing listens) for one block, with the settings the
app has in production: publish retry policy, socket timeouts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import kombu.pools
from django.conf import settings
from django.db import connection

from compliance.celery import app

BROKER = "redis://127.0.0.1:6379/15"


def key_prefix() -> str:
    """Redis keys of this test database's workers (CELERY_BROKER_KEY_PREFIX): test processes running
    side by side (pytest-xdist, or several suites at once) never flush or take each other's jobs."""
    return f"kuangan-test:{connection.settings_dict['NAME']}:"


def database_url() -> str:
    """The test database, which a worker process connects to (the test commits to it)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def unused_port() -> int:
    """A local port where nothing listens (the broker is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flush_broker() -> None:
    import redis

    client = redis.Redis.from_url(BROKER)
    for key in client.scan_iter(f"{key_prefix()}*"):
        client.delete(key)


def broker_queue() -> tuple[int, int]:
    """(messages waiting, messages delivered but not acknowledged) in the test broker."""
    import redis

    client = redis.Redis.from_url(BROKER)
    return client.llen(f"{key_prefix()}celery"), client.hlen(f"{key_prefix()}unacked")


def _reset_connections() -> None:
    # The app and kombu's registry keep pools of broker connections made for the previous URL.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker(url: str):
    conf = app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options
    conf.broker_url, conf.task_always_eager = url, False
    conf.broker_transport_options = {**saved[2], "global_keyprefix": key_prefix()}
    _reset_connections()
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        _reset_connections()


class Worker:
    """``celery -A compliance worker`` in a subprocess, on the test database and the test broker."""

    def __init__(self, tmp_path: Path, name: str, *, env: dict | None = None, include=(), pool="solo"):
        self.log_path = tmp_path / f"worker-{name}.log"
        self.env = os.environ | {
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": BROKER,
            "CELERY_BROKER_KEY_PREFIX": key_prefix(),
            "KUANGAN_VAR_DIR": str(tmp_path),  # uploads: the test's PRIVATE_MEDIA_ROOT
            "DJANGO_SETTINGS_MODULE": "compliance.settings",
            **(env or {}),
        }
        self.args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "compliance",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
            *(["--include", ",".join(include)] if include else []),
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        self._log = open(self.log_path, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.args, cwd=settings.BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def received(self) -> int:
        """How many run_job messages this worker has taken from the broker."""
        return sum(
            "compliance.jobs.tasks.run_job[" in line and line.rstrip().endswith("received")
            for line in self.log.splitlines()
        )

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing acknowledged or handed back to the broker."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()


def wait_for(condition, *, timeout: float, every: float = 0.2, worker: Worker | None = None):
    """Poll until ``condition()`` is truthy; fail with the worker's log if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            break
        time.sleep(every)
    raise AssertionError(
        f"timed out after {timeout}s" + (f"\n--- worker log ---\n{worker.log[-4000:]}" if worker else "")
    )
