"""What the HTTP benchmarks share: `manage.py runserve` on loopback, a recorder, an open-loop driver, a
closed-loop storm client.

Open loop means requests start on a fixed timetable whatever the server
answers, so a slow server shows as latency and errors rather than as a
politely lowered load (what a closed loop of waiting clients would measure)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Iterable

from django.conf import settings

from bench import harness

ROOT = Path(__file__).resolve().parents[1]


def start_server(port: int, log_name: str) -> subprocess.Popen:
    """make serve's web server over TLS + Celery + beat (`manage.py runserve`) on the benchmark's database;
    waits for /healthz and then for the machine to calm down."""
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # our own self-signed certificate

    env = {**os.environ, "DATABASE_URL": harness.database_url(), "REDIS_URL": settings.REDIS_URL, "DEBUG": "0",
           "HTTPS": "1", "SERVE_HOST": "127.0.0.1", "SERVE_PORT": str(port), "LOG_LEVEL": "WARNING",
           "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
           # a gateway that takes every SMS at once, as a healthy provider does (no simulator runs here,
           # and sends to a missing one would be retried on the same two cores as the server under test)
           "SMS_GATEWAY": "console"}
    log = open(Path(settings.VAR_DIR) / log_name, "w")
    proc = subprocess.Popen([sys.executable, "manage.py", "runserve"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"https://127.0.0.1:{port}/healthz", verify=False, timeout=2).status_code == 200:
                harness.wait_quiet()  # the other web workers and the task workers are still starting
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    harness.stop_group(proc)
    raise RuntimeError(f"make serve did not come up; see {log.name}")


@contextlib.contextmanager
def served(log_name: str):
    """The server's base URL while it runs; stopped (with its workers) afterwards."""
    port = harness.free_port()
    proc = start_server(port, log_name)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        harness.stop_group(proc)


def client():
    """The load generator's HTTP client: aiohttp, because it shares the machine's two cores with the server
    under test (measured here: 0.3 ms of client CPU per request over TLS keep-alive, httpx 2.3 ms).
    No cookie jar (each request names its user's cookies), no redirects followed (a login answers 302)."""
    import aiohttp

    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # our own self-signed certificate
    # keep-alive for every request in flight: a new TLS handshake per request would measure the client's CPU;
    # 10 s: an answer later than that is an error to a person waiting on a phone anyway
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=400, ssl=tls),
                                 cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=10))


@dataclass
class Answer:
    status_code: int
    text: str
    cookies: dict[str, str]


async def fetch(client, method: str, url: str, **kwargs) -> Answer:
    """One request, read whole: status, body text and the cookies it set."""
    async with client.request(method, url, allow_redirects=False, **kwargs) as response:
        text = await response.text()
        return Answer(response.status, text, {name: morsel.value for name, morsel in response.cookies.items()})


class Recorder:
    def __init__(self):
        self.latencies: list[float] = []
        self.errors = 0
        self.by_kind: dict[str, list[float]] = {}
        self.errors_by_kind: dict[str, int] = {}
        self.unsent = 0  # requests the driver could not start before the phase's deadline (counted as errors)
        self.late = 0.0  # the most the driver fell behind its timetable: the client, not the server, was the limit

    def add(self, kind: str, seconds: float, ok: bool):
        self.latencies.append(seconds)
        self.by_kind.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors += 1
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1

    def ms(self, q: float, kind: str | None = None) -> float:
        values = self.latencies if kind is None else self.by_kind.get(kind, [])
        return round(harness.percentile(values, q) * 1000, 1) if values else 0.0

    def kinds(self) -> dict[str, dict]:
        return {kind: {"n": len(values), "p50_ms": self.ms(50, kind), "p99_ms": self.ms(99, kind),
                       "errors": self.errors_by_kind.get(kind, 0)} for kind, values in sorted(self.by_kind.items())}


async def request(client, rec: Recorder, kind: str, method: str, url: str, *, due: float | None = None,
                  ok: Callable[[object], bool] | None = None, **kwargs) -> None:
    """One timed request; an answer of 400 or more, a refusal by `ok`, a timeout or a reset is an error.
    Timed from `due` (when the timetable wanted it sent) if given, so a driver running late is not hidden."""
    started = time.monotonic() if due is None else due
    good = False
    try:
        response = await fetch(client, method, url, **kwargs)
        good = response.status_code < 400 and (ok is None or ok(response))
    except Exception:  # timeouts and resets count as errors, never stop the run
        good = False
    finally:  # also when cut off at the end of a phase
        rec.add(kind, time.monotonic() - started, good)


async def open_loop(offsets: Iterable[float], fire: Callable[[int, float], Awaitable], rec: Recorder | None = None,
                    grace: float = 15.0) -> float:
    """Start fire(i, due) at `offsets[i]` seconds from now (`due`, monotonic), not waiting for earlier answers;
    the seconds until the last answer.  Requests still unanswered `grace` seconds after the last one was due
    are cut off (counted as errors by `request`), so a run stays bounded however slow the server."""
    offsets = list(offsets)
    started = time.monotonic()
    deadline = started + (offsets[-1] if offsets else 0.0) + grace
    tasks = []
    for i, offset in enumerate(offsets):
        if time.monotonic() > deadline:  # the driver itself fell that far behind: what is left was never sent
            if rec is not None:
                rec.unsent += len(offsets) - i
                rec.errors += len(offsets) - i
            break
        due = started + offset
        behind = time.monotonic() - due
        if behind < 0:
            await asyncio.sleep(-behind)
        else:
            if rec is not None:
                rec.late = max(rec.late, behind)
            await asyncio.sleep(0)  # let the requests already started make progress
        tasks.append(asyncio.create_task(fire(i, due)))
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
        await asyncio.wait(tasks, timeout=10)
    return time.monotonic() - started


async def settle(client, base: str, limit: float = 90.0) -> float:
    """Wait until the server answers /healthz within a second again (requests given up by the client stay
    queued in the server and would be charged to the next phase); the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        asked = time.monotonic()
        try:
            if (await fetch(client, "GET", base + "/healthz")).status_code == 200 and time.monotonic() - asked < 1:
                break
        except Exception:  # still busy
            pass
        await asyncio.sleep(1)
    return time.monotonic() - started


def steady(rate: float, seconds: float) -> list[float]:
    return [i / rate for i in range(int(rate * seconds))]


async def ramp(rates: Iterable[float], seconds: float, fire: Callable[[int, float, Recorder], Awaitable],
               goal_p99_ms: float, max_error_share: float = 0.01) -> list[dict]:
    """Open loop at each rate in turn until p99 passes the goal or errors pass `max_error_share`."""
    steps = []
    for rate in rates:
        rec = Recorder()
        elapsed = await open_loop(steady(rate, seconds), lambda i, due, rec=rec: fire(i, due, rec), rec)
        steps.append({"offered": rate, "achieved": round(len(rec.latencies) / elapsed, 1), "p50_ms": rec.ms(50),
                      "p99_ms": rec.ms(99), "errors": rec.errors, "driver_late_ms": round(rec.late * 1000)})
        print(f"   ramp {rate}/s: achieved {steps[-1]['achieved']}/s, p50 {rec.ms(50):.0f} ms, "
              f"p99 {rec.ms(99):.0f} ms, {rec.errors} errors", flush=True)
        if rec.ms(99) > goal_p99_ms or rec.errors > len(rec.latencies) * max_error_share:
            break
    return steps


def best_within(steps: list[dict], goal_p99_ms: float) -> float:
    """The highest throughput reached with p99 within the goal and no error."""
    return max((s["achieved"] for s in steps if s["p99_ms"] <= goal_p99_ms and s["errors"] == 0), default=0)


async def post_storm(url: str, items: Iterable[tuple[bytes, dict[str, str]]], clients: int, rec: Recorder | None,
                     kind: str = "post") -> None:
    """POST every (body, headers) of `items` to a plain-HTTP `url` from `clients` keep-alive connections, each
    sending its next request as soon as the last is answered; an answer other than 200 is an error.

    A dozen lines of HTTP/1.1 over asyncio streams instead of aiohttp: a storm's client runs on the two cores
    of the server it measures, and this one takes a fraction of aiohttp's CPU per request (measured by the
    receipts benchmark as `client_cpu_ms`).  It speaks only what the storm needs: Content-Length bodies,
    keep-alive, chunked answers, a new connection after the server closes one."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, path = parts.hostname, parts.port or 80, parts.path
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    pending = iter(items)

    async def one_client():
        reader = writer = None
        for body, headers in pending:
            request = (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                       + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            started, ok = time.monotonic(), False
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                version, status, _reason = (await reader.readline()).split(b" ", 2)
                length, chunked, close = 0, False, version == b"HTTP/1.0"  # 1.0 closes unless it says keep-alive
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    name, value = name.strip().lower(), value.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"transfer-encoding":
                        chunked = value == b"chunked"
                    elif name == b"connection":
                        close = value == b"close"
                if chunked:
                    while (size := int((await reader.readline()).split(b";")[0], 16)):
                        await reader.readexactly(size + 2)
                    while await reader.readline() not in (b"\r\n", b""):  # trailers
                        pass
                else:
                    await reader.readexactly(length)
                ok = status == b"200"
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, ValueError, asyncio.IncompleteReadError):
                if writer is not None:
                    writer.close()
                reader = writer = None
            if rec is not None:
                rec.add(kind, time.monotonic() - started, ok)
        if writer is not None:
            writer.close()

    await asyncio.gather(*[one_client() for _ in range(clients)])
