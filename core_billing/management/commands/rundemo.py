"""Start the whole embedded system in the foreground: the web server, a Celery
worker with beat (kombu's filesystem transport, or Redis when REDIS_URL is set)
and whatever simulators the apps declare in their `demo.PROCESSES`."""
import importlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from core_billing.demo import DEMO_PASSWORD
from core_billing.roles import PROJECT_APPS


def app_processes() -> list[tuple[str, list[str]]]:
    found = []
    for app in PROJECT_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        found.extend(getattr(module, "PROCESSES", []))
    return found


class Command(BaseCommand):
    help = "Run web + worker + simulators for the demo; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"),
               "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{host}:{port}")}
        commands = [
            ("web", [python, manage, "runserver", f"{host}:{port}", "--noreload"]),
            ("worker", [python, "-m", "celery", "-A", "config", "worker", "--beat", "--pool=threads",
                        "--concurrency=4", "--loglevel=INFO",
                        f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"]),
            *[(name, [python, manage, *argv]) for name, argv in app_processes()],
        ]
        children = []
        for name, argv in commands:
            children.append((name, subprocess.Popen(argv, env=env, cwd=settings.BASE_DIR)))
        time.sleep(2)
        self._banner(host, port, [name for name, _ in commands])

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
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the demo")
                        code = proc.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for _name, proc in children:
                if proc.poll() is None:
                    proc.terminate()
            for _name, proc in children:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        sys.exit(code)

    def _banner(self, host, port, names):
        url = f"http://{host}:{port}/"
        lines = [
            "",
            "Nuanxin demo is running:",
            f"  console   {url}",
            f"  API docs  {url}api/docs/",
            f"  admin     {url}admin/",
            f"  processes {', '.join(names)}",
            f"Logins (password {DEMO_PASSWORD}):",
            "  admin (administrator, head office), manager (manager, head office)",
            "  station k = 1, 2, 3: service{k} customer service, collector{k} collector,",
            "                       supervisor{k} supervisor/accountant, dispatcher{k} dispatcher",
            "Ctrl-C stops everything.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
