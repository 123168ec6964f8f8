"""Reports only read other apps' data; the rows here are its own bookkeeping:
one ExportJob per export (who exported what filter, how many rows, where the
file is) and the stored file of a background export, in chunks.

Where the file lives: in the database, as 1 MiB chunks.  Web nodes and workers
are stateless and share only PostgreSQL and Redis (DESIGN.md "Runtime"); a file
under MEDIA_ROOT would sit on the disk of whichever worker wrote it, and the
web node that gets the download request may be another machine.  One
BinaryField per file would make the worker build, and the web node read, the
whole file in memory (a million-row export is ~70 MB); chunks are written and
streamed one at a time, so both stay flat.  Files expire (EXPORT_RETENTION_HOURS)
and their chunks are deleted; the job row stays as the record of the export.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core_billing.scoping import ScopedManager


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("exporting")
        DONE = "done", _("ready")
        FAILED = "failed", _("export failed")
        EXPIRED = "expired", _("expired")

    # The exporting user's station; head-office exports have none and only
    # head office sees them (they may hold every station's rows).
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("exported by"))
    source = models.CharField(_("report"), max_length=32)
    title = models.CharField(_("title"), max_length=64)
    params = models.JSONField(_("filter"), default=dict, blank=True)
    filter_text = models.CharField(_("filter"), max_length=500, blank=True)
    language = models.CharField(max_length=8, default="zh-hans")
    # Small exports go straight to the browser: nothing stored, the row records them.
    inline = models.BooleanField(_("sent directly"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    written_rows = models.PositiveIntegerField(default=0)
    filename = models.CharField(_("file"), max_length=120, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        permissions = [
            ("view_reports", _("Can view billing reports")),
            ("view_dashboard", _("Can view the manager dashboard")),
            ("view_all_exports", _("Can see everyone's exports")),
        ]
        indexes = [
            models.Index(fields=["actor", "created_at"], name="export_actor_created"),
            models.Index(fields=["status", "expires_at"], name="export_status_expires"),
        ]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def can_download(self) -> bool:
        return self.status == self.Status.DONE and not self.inline


class ExportChunk(models.Model):
    """One piece of a stored export file, in order of `seq`."""

    STATION_LOOKUP = "job__station"

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    objects = ScopedManager()

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="export_chunk_unique")]

    def __str__(self):
        return f"{self.job_id}:{self.seq}"
