"""A production-like run on PostgreSQL + Redis (make serve): granian (or
gunicorn, WEB_SERVER=gunicorn) with several workers serving TLS, two Celery
workers, beat, static files by whitenoise, and production settings that pass `check --deploy`."""
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core_billing.processes import WEB_SERVERS, run_group, self_signed_certificate, web_server, web_server_command


class Command(BaseCommand):
    help = "Serve the whole system production-style (needs DATABASE_URL and REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SERVE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SERVE_PORT", "8443")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "8")))
        parser.add_argument("--task-workers", type=int, default=int(os.environ.get("TASK_WORKERS", "2")))
        parser.add_argument("--server", choices=WEB_SERVERS, default=web_server())
        parser.add_argument("--no-tls", action="store_true", default=os.environ.get("SERVE_TLS", "1") == "0",
                            help="plain HTTP, for running behind a TLS-terminating proxy")

    def _ensure_database(self):
        """Create the configured database on first use (the server must already run)."""
        import psycopg
        import psycopg.sql

        db = settings.DATABASES["default"]
        conn = psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                               password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)
        with conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db["NAME"],)).fetchone():
                conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(db["NAME"])))
                self.stdout.write(f"created database {db['NAME']}")

    def handle(self, *args, host, port, server, web_workers, threads, task_workers, no_tls, **options):
        if settings.DATABASE_VENDOR != "postgresql" or not settings.REDIS_URL:
            raise CommandError("make serve needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and "
                               "REDIS_URL=redis://... (make serve sets them to the local servers by default)")
        if settings.DEBUG or not settings.HTTPS:
            raise CommandError("make serve runs with production settings: DEBUG=0 HTTPS=1")
        self._ensure_database()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                       cwd=settings.BASE_DIR, check=True)
        python = sys.executable
        scheme = "http" if no_tls else "https"
        tls = None if no_tls else self_signed_certificate(settings.VAR_DIR / "tls", [host, "localhost", "127.0.0.1"])
        web = web_server_command(server, host=host, port=port, workers=web_workers, threads=threads, tls=tls)
        commands = [("web", web)]
        for n in range(1, task_workers + 1):
            commands.append((f"worker{n}", [python, "-m", "celery", "-A", "config", "worker", "--pool=threads",
                                            "--concurrency=8", f"--hostname=w{n}@%h", "--loglevel=INFO"]))
        commands.append(("beat", [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                                  f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"]))
        env = {**os.environ}

        def banner():
            self.stdout.write(self.style.SUCCESS(
                f"\nNuanxin is serving at {scheme}://{host}:{port}/ "
                f"({server}: {web_workers} web workers × {threads} threads, {task_workers} task workers, beat)"
                + ("\n(self-signed certificate in var/tls/: your browser will ask you to accept it)" if not no_tls
                   else "") + "\nCtrl-C stops everything.\n"))

        sys.exit(run_group(commands, env=env, cwd=settings.BASE_DIR, banner=banner))
