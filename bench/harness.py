"""What benchmarks share: Django set up on a throw-away database, timers, memory."""
from __future__ import annotations

import contextlib
import os
import resource
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from core_billing.metrics import percentile_of as percentile  # noqa: E402,F401  (one definition)


def vendor() -> str:
    return connection.vendor


@contextlib.contextmanager
def database():
    """A fresh database (test_<name>) for the run, dropped afterwards."""
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def timer():
    box = {"seconds": 0.0, "cpu": 0.0}
    start, cpu = time.perf_counter(), time.process_time()
    yield box
    box["seconds"] = time.perf_counter() - start
    box["cpu"] = time.process_time() - cpu


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_url() -> str:
    """The benchmark's throw-away database as a URL, for the processes a benchmark starts."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    return url


def _busy_jiffies() -> tuple[int, int] | None:
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except OSError:  # not Linux
        return None
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def wait_quiet(share: float = 0.25, seconds: int = 2, limit: float = 60.0) -> float:
    """Wait until the machine has been under `share` busy for `seconds` whole seconds in a row (the server
    under test has finished starting: its workers import and warm up after it first answers); the seconds
    waited.  Where /proc/stat is missing, waits `seconds`."""
    started = time.monotonic()
    last, calm = _busy_jiffies(), 0
    if last is None:
        time.sleep(seconds)
        return float(seconds)
    while calm < seconds and time.monotonic() - started < limit:
        time.sleep(1)
        now = _busy_jiffies()
        busy, total = now[0] - last[0], now[1] - last[1]
        calm = calm + 1 if total and busy / total < share else 0
        last = now
    return time.monotonic() - started


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    import os
    import signal
    import subprocess

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # the leader may go first while its children (web workers finishing queued requests) still hold
    # database connections, and the throw-away database cannot be dropped until they are gone
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline + 5:  # a zombie nobody reaps would answer for ever: give up then
        try:
            os.killpg(proc.pid, signal.SIGKILL if time.monotonic() > deadline else 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
