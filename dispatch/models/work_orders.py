"""Repair work orders (工单), the staff who do them, and every step they take."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.scoping import ScopedManager


class WorkOrderStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("work order status", "created")
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (WorkOrderStatus.CREATED, WorkOrderStatus.ASSIGNED, WorkOrderStatus.ACCEPTED,
                 WorkOrderStatus.IN_PROGRESS)
CLOSED_STATUSES = (WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED)


class WorkOrderCategory(models.TextChoices):
    NO_HEAT = "no_heat", _("not warm enough")
    LEAK = "leak", _("leak")
    VALVE = "valve", _("valve or pipe")
    RADIATOR = "radiator", _("radiator")
    METER = "meter", _("heat meter")
    NOISE = "noise", _("noise")
    OTHER = "other", _("other")


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class RepairWorker(models.Model):
    """A staff member who goes out on repairs and answers work orders by SMS."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="repair_worker",
                                verbose_name=_("staff member"))
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"))
    skills = models.JSONField(_("skills"), default=list, blank=True,
                              help_text=_("categories this worker repairs"))
    is_active = models.BooleanField(_("on duty"), default=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["station_id", "user__username"]
        verbose_name = _("repair worker")
        verbose_name_plural = _("repair workers")

    def __str__(self):
        return self.user.display_name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.user_id and self.user.station_id != self.station_id:
            raise ValidationError({"station": _("A repair worker works for the station of their staff account.")})

    @property
    def mobile(self) -> str:
        return self.user.mobile

    @property
    def skill_labels(self) -> list[str]:
        labels = dict(WorkOrderCategory.choices)
        return [str(labels.get(s, s)) for s in self.skills]


class WorkOrderCounter(models.Model):
    """Hands out GD-<date>-NNNN numbers per station and day without gaps or
    duplicates under concurrency (the row is locked while a number is taken)."""

    station = models.ForeignKey("core_billing.Station", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="work_order_counter_unique")]


class WorkOrder(models.Model):
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"))
    number = models.CharField(pgettext_lazy("work order", "number"), max_length=24)
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="work_orders", verbose_name=_("customer"))
    address = models.CharField(_("address"), max_length=200)
    contact_name = models.CharField(pgettext_lazy("work order", "contact"), max_length=64)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    problem = models.TextField(_("problem"))
    category = models.CharField(pgettext_lazy("work order", "category"), max_length=16, choices=WorkOrderCategory.choices,
                                default=WorkOrderCategory.NO_HEAT)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=WorkOrderStatus.choices,
                              default=WorkOrderStatus.CREATED, db_index=True)
    worker = models.ForeignKey(RepairWorker, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="work_orders", verbose_name=_("repair worker"))
    # Bumped on every (re)assignment: reminders are keyed on it, so a reassigned
    # order gets its own reminder and an old one is never sent twice.
    assignment_no = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        constraints = [
            models.UniqueConstraint(fields=["station", "number"], name="work_order_number_unique"),
            models.CheckConstraint(condition=Q(appointment_end__isnull=True) | Q(appointment_start__isnull=True)
                                   | Q(appointment_end__gte=models.F("appointment_start")),
                                   name="work_order_window_ordered"),
        ]
        indexes = [models.Index(fields=["station", "status", "created_at"], name="work_order_station_status")]
        permissions = [("assign_workorder", "Can assign work orders"),
                       ("remind_workorder", "Can send reminders about work orders")]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.appointment_end and self.appointment_end < timezone.now())


class WorkOrderEvent(models.Model):
    """One step of a work order's timeline: who, when, from which status to which, how (web, SMS, system)."""

    class Via(models.TextChoices):
        WEB = "web", _("console")
        API = "api", _("API")
        SMS = "sms", _("SMS reply")
        SYSTEM = "system", _("system")

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("work order status", "created")
        ASSIGNED = "assigned", _("assigned")
        REASSIGNED = "reassigned", _("reassigned")
        ACCEPTED = "accepted", _("accepted")
        STARTED = "started", _("work started")
        FINISHED = "finished", _("done")
        CANCELLED = "cancelled", _("cancelled")
        REMINDED = "reminded", _("reminder sent")
        AUTO_REMINDER = "auto_reminder", _("automatic reminder")
        ESCALATED = "escalated", _("escalated to supervisor")

    STATION_LOOKUP = "work_order__station"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    worker = models.ForeignKey(RepairWorker, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.WEB)
    note = models.TextField(blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["at", "id"]


class WorkOrderAlert(models.Model):
    """A reminder or escalation that went out; unique per step so beat runs,
    retries and two workers never send the same one twice."""

    class Kind(models.TextChoices):
        ACCEPT_REMINDER = "accept_reminder", _("reminder: not accepted")
        OVERDUE_ESCALATION = "overdue_escalation", _("escalation: not done in time")
        MANUAL_REMINDER = "manual_reminder", _("manual reminder")

    STATION_LOOKUP = "work_order__station"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    assignment_no = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField(default=0, help_text="manual reminders count up")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["work_order", "kind", "assignment_no", "sequence"],
                                               name="work_order_alert_once")]
