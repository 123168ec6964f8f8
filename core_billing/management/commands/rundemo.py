"""Start the whole embedded system in the foreground: the web server, a Celery
worker with beat (kombu's filesystem transport, or Redis when REDIS_URL is set)
and whatever simulators the apps declare in their `demo.PROCESSES`."""
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from core_billing.demo import DEMO_PASSWORD
from core_billing.processes import app_processes, run_group


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
        sys.exit(run_group(commands, env=env, cwd=settings.BASE_DIR, banner=lambda: self._banner(host, port, commands)))

    def _banner(self, host, port, commands):
        names = [name for name, _argv in commands]
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
