"""Demo: one finished export on file (station 1's supervisor exported the
arrears list of two seasons or more), so "My exports" has something to show."""
from __future__ import annotations


def seed(*, org: dict, log=print) -> None:
    from core_billing.models import User

    from .models import ExportJob
    from .services.exports import export_start

    supervisor = User.objects.filter(username="supervisor1").first()
    if supervisor is None or ExportJob.objects.filter(actor=supervisor).exists():
        return
    result = export_start(actor=supervisor, source="arrears", params={"min_seasons": 2}, inline_allowed=False)
    log(f"reports: {result.job.title} exported by {supervisor.username} ({result.job.total_rows} rows, "
        f"{result.job.get_status_display()})")
