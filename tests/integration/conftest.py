"""Integration tests: real PostgreSQL, real Redis, real Celery worker processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_services(transactional_db):
    """PostgreSQL and Redis configured, or a skip that says what to install."""
    missing = []
    if settings.DATABASE_VENDOR != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    if not settings.REDIS_URL:
        missing.append("Redis (set REDIS_URL=redis://...)")
    if missing:
        unavailable("integration tests need " + " and ".join(missing))


def _worker_env() -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0"}


class Workers:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.restarts = 0
        self._stopping = threading.Event()

    def start(self, name: str = "w1", concurrency: int = 4, env: dict | None = None, *,
              supervised: bool = False) -> subprocess.Popen:
        """A worker process; `supervised`: started again whenever it exits, as systemd's Restart=always
        does in production (a worker can die of its broker connection: kombu's reconnect after a Redis
        restart has crashed one with "Unrecoverable error: AttributeError ... 'hostname'")."""
        log = open(self.tmp / f"celery-{name}.log", "a")
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads",
                f"--concurrency={concurrency}", f"--hostname={name}@%h", "--loglevel=INFO", "--without-gossip",
                "--without-mingle"]
        worker_env = {**_worker_env(), **(env or {})}
        proc = subprocess.Popen(argv, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self._wait_ready(name)
        if supervised:
            def supervise(proc=proc):
                while not self._stopping.wait(0.5):
                    if proc.poll() is not None and not self._stopping.is_set():
                        log.write(f"[supervisor] {name} exited with {proc.returncode}; starting it again\n")
                        log.flush()
                        self.restarts += 1
                        proc = subprocess.Popen(argv, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
                        self.procs.append(proc)

            threading.Thread(target=supervise, daemon=True).start()
        return proc

    def _wait_ready(self, name: str, timeout: float = 40) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            if any(name in key for reply in replies for key in reply):
                return
        raise RuntimeError(f"celery worker {name} did not start:\n" + (self.tmp / f"celery-{name}.log").read_text())

    def stop(self) -> None:
        self._stopping.set()
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def celery_workers(real_services, tmp_path, settings):
    """Start real worker processes against the test database; tasks are queued, not run eagerly."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.control.purge()
    workers = Workers(tmp_path)
    yield workers
    workers.stop()


@pytest.fixture
def web_server(real_services, tmp_path):
    """web_server(server=make serve's, tls=False) -> base URL: config.wsgi served by a web server process of its
    own on the test database, as make serve runs it.  Receipt storms go here rather than to pytest's
    live_server: that runs in this process, through the whole middleware, under the GIL the simulator needs."""
    from core_billing import processes

    procs = []

    def start(server: str | None = None, *, tls: bool = False, env: dict | None = None) -> str:
        import requests
        import urllib3

        server = server or processes.web_server()
        port = free_port()
        base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        certificate = processes.self_signed_certificate(tmp_path / "tls", ["127.0.0.1"]) if tls else None
        argv = processes.web_server_command(server, host="127.0.0.1", port=port, workers=2, threads=4,
                                            tls=certificate, access_log=False)
        log = tmp_path / f"web-{server}-{port}.log"
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                env={**_worker_env(), "PUBLIC_BASE_URL": base, **(env or {}),
                                     # the simulator signs its callbacks with this process's credentials
                                     "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
                                     "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN})
        procs.append(proc)
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the certificate made above
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", verify=False, timeout=2).status_code == 200:
                    return base
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server} did not come up:\n{log.read_text()}")
            time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 60, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
