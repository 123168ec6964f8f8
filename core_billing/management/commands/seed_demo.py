import importlib
import time

from django.core.management.base import BaseCommand

from core_billing.demo import seed_org
from core_billing.roles import PROJECT_APPS
from core_billing.services._common import analyze


class Command(BaseCommand):
    help = "Load demo data: 3 stations, staff logins (password demo12345) and N households."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20261128, help="random seed, for repeatable data")

    def handle(self, *args, customers, seed, **options):
        started = time.monotonic()
        result = seed_org(customers=customers, seed=seed, log=self.stdout.write)
        if not result["created"]:
            return
        for app in PROJECT_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            if hasattr(module, "seed"):
                module.seed(org=result, log=self.stdout.write)
        analyze()  # every table: the pages' queries are planned on the demo's sizes, not migrate's
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded: {result['customers']} households in {time.monotonic() - started:.1f}s"))
