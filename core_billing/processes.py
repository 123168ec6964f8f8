"""Run a group of processes in the foreground (make demo, make serve): start
them all, stop them all on Ctrl-C or when one of them dies."""
from __future__ import annotations

import importlib
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
