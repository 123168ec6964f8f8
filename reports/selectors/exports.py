"""Which exports a user sees: their own, within their stations; administrators
(reports.view_all_exports) everyone's there, to see who exported what."""
from __future__ import annotations

from django.db.models import QuerySet

from ..models import ExportJob


def export_list(*, actor, source: str = "", status: str = "") -> QuerySet[ExportJob]:
    qs = ExportJob.objects.visible_to(actor)
    if not actor.has_perm("reports.view_all_exports"):
        qs = qs.filter(actor=actor)
    if source:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    return qs
