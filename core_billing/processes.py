"""Run a group of processes in the foreground (make demo, make serve): start
them all, stop them all on Ctrl-C or when one of them dies."""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def run_group(commands: list[tuple[str, list[str]]], *, env: dict, cwd: Path, banner, stderr=sys.stderr) -> int:
    children = [(name, subprocess.Popen(argv, env=env, cwd=cwd)) for name, argv in commands]
    time.sleep(2)
    banner()
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    stderr.write(f"{name} exited with {proc.returncode}; stopping the others\n")
                    code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for _name, proc in children:
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in children:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return code


WEB_SERVERS = ("gunicorn", "granian")


def web_server() -> str:
    """The web server make serve runs: WEB_SERVER, else granian."""
    return os.environ.get("WEB_SERVER", "granian")


def web_server_command(server: str, *, host: str, port: int, workers: int, threads: int,
                       tls: tuple[Path, Path] | None = None, access_log: bool = True) -> list[str]:
    """The command that serves config.wsgi with `workers` processes of `threads` threads each.

    granian is the default: its HTTP/1.1 and TLS are Rust, where gunicorn's (WEB_SERVER=gunicorn, threaded
    workers) are Python that takes the GIL the views need.  Measured on a 2-core machine (the receipts
    benchmark's clients, 20 keep-alive connections): a bare WSGI app 8,400-8,700 requests/s under granian
    and 2,600 under gunicorn; a Django webhook that refuses after its signature check 2,800-3,400 and
    1,600-1,900; bench receipts end to end 2,088-2,444/s against 1,722-2,063.  Under bench pay's mixed load
    (TLS) the web processes took 1.04 cores under granian and 1.22 under gunicorn; there both meet the p99
    goal once warm, gunicorn with the lower p99 (66-74 ms against 106-200)."""
    python = sys.executable
    if server == "granian":
        argv = [python, "-m", "granian", "--interface", "wsgi", "config.wsgi:application", "--host", host,
                "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads),
                "--respawn-failed-workers"]
        argv += ["--access-log"] if access_log else ["--no-access-log"]
        if tls:
            argv += ["--ssl-certificate", str(tls[0]), "--ssl-keyfile", str(tls[1])]
        return argv
    if server == "gunicorn":
        argv = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"{host}:{port}", "--workers", str(workers),
                "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60",
                "--forwarded-allow-ips", "127.0.0.1,::1"]
        if access_log:
            argv += ["--access-logfile", "-"]
        if tls:
            argv += ["--certfile", str(tls[0]), "--keyfile", str(tls[1])]
        return argv
    raise ValueError(f"unknown web server {server!r}: one of {', '.join(WEB_SERVERS)}")


def app_processes() -> list[tuple[str, list[str]]]:
    """Extra processes (simulators) the apps declare in `<app>/demo.py` as PROCESSES."""
    from .roles import PROJECT_APPS

    found = []
    for app in PROJECT_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        found.extend(getattr(module, "PROCESSES", []))
    return found


def self_signed_certificate(directory: Path, hosts: list[str]) -> tuple[Path, Path]:
    """A certificate for serving TLS on loopback without a proxy in front (make serve)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nuanxin local")])
    alt = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
