"""Billing: seasons and their settings, customer season accounts, the append-only
ledger, receipts, adjustments awaiting approval (BIL-01 … BIL-10, BIL-15).

Money is Decimal with two places (fen).  Ledger amounts are signed by their
effect on what the customer owes: charges are positive, payments, discounts,
waivers and allowances negative; a reversal is the negated row, linked to it.
An account's `due` is the sum of its ledger rows.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..append_only import AppendOnlyError
from ..scoping import ScopedManager, StationScopedQuerySet
from .org import HeatingStatus, MeteringMode

MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0.00")}
PRICE = {"max_digits": 10, "decimal_places": 2}


def _money(label):
    return models.DecimalField(label, **MONEY)


class PrecisionMode(models.TextChoices):
    DROP_FEN = "drop_fen", _("drop fen (to jiao)")
    DROP_JIAO = "drop_jiao", _("drop jiao (to yuan)")
    ROUND_JIAO = "round_jiao", _("round to jiao")
    ROUND_YUAN = "round_yuan", _("round to yuan")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be changed")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be deleted")


class ScopedAppendOnlyQuerySet(AppendOnlyQuerySet, StationScopedQuerySet):
    """Append-only rows that belong to a station (the ledger, receipts, account changes)."""


class AppendOnlyModel(models.Model):
    """Posted once, never edited or deleted (a database trigger refuses too)."""

    objects = ScopedAppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows cannot be deleted")


# --- seasons and their settings -----------------------------------------------

class Season(models.Model):
    """供暖年度, company-wide, with the settings that price it."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=16, unique=True, help_text=_("e.g. 2025-2026"))
    start_date = models.DateField(_("heating starts"))
    end_date = models.DateField(_("heating ends"))
    heating_days = models.PositiveSmallIntegerField(_("statutory heating days"), validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    is_current = models.BooleanField(_("current season"), default=False)
    standby_ratio = models.DecimalField(_("stand-by fee ratio"), max_digits=5, decimal_places=4,
                                        default=Decimal("0.3000"),
                                        validators=[MinValueValidator(0), MaxValueValidator(1)])
    late_fee_start = models.DateField(_("late fee starts"), null=True, blank=True)
    late_fee_daily_rate = models.DecimalField(_("late fee per day"), max_digits=8, decimal_places=6,
                                              default=Decimal("0"), validators=[MinValueValidator(0)],
                                              help_text=_("e.g. 0.003 for 3‰ of the arrears per day"))
    late_fee_cap_ratio = models.DecimalField(_("late fee cap"), max_digits=6, decimal_places=4, null=True,
                                             blank=True, validators=[MinValueValidator(0)],
                                             help_text=_("late fee at most this share of the season's fees "
                                                         "(1 = the fees themselves); empty: no cap"))
    precision = models.CharField(_("money precision"), max_length=16, choices=PrecisionMode.choices,
                                 default=PrecisionMode.ROUND_JIAO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        permissions = [
            ("close_season", _("Can close a season")),
            ("rollover_season", _("Can roll over to a new season")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                    name="season_one_current"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="season_end_after_start"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Tariff(models.Model):
    """单价 for one customer type in one season: area billing, or metered two-part."""

    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("season"))
    customer_type = models.ForeignKey("core_billing.CustomerType", on_delete=models.PROTECT, related_name="tariffs",
                                      verbose_name=_("customer type"))
    unit_price = models.DecimalField(_("unit price (yuan/m²)"), validators=[MinValueValidator(0)], **PRICE)
    base_price = models.DecimalField(_("metered base price (yuan/m²)"), default=Decimal("0"),
                                     validators=[MinValueValidator(0)], **PRICE)
    heat_price = models.DecimalField(_("metered heat price (yuan/GJ)"), default=Decimal("0"),
                                     validators=[MinValueValidator(0)], **PRICE)

    class Meta:
        ordering = ["season", "customer_type__sort_order"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        permissions = [("quote_fees", _("Can use the fee calculator"))]
        constraints = [models.UniqueConstraint(fields=["season", "customer_type"], name="tariff_unique")]

    def __str__(self):
        return f"{self.season} {self.customer_type}"


class DiscountTier(models.Model):
    """预交优惠: paying on or before `until` earns `rate` off the heating fee."""

    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="discount_tiers",
                               verbose_name=_("season"))
    until = models.DateField(_("paid on or before"))
    rate = models.DecimalField(_("discount rate"), max_digits=5, decimal_places=4,
                               validators=[MinValueValidator(0), MaxValueValidator(1)],
                               help_text=_("e.g. 0.03 for 3 %"))

    class Meta:
        ordering = ["season", "until"]
        verbose_name = _("early-payment discount")
        verbose_name_plural = _("early-payment discounts")
        constraints = [models.UniqueConstraint(fields=["season", "until"], name="discount_tier_unique")]

    def __str__(self):
        return f"{self.until} {self.rate}"


class AdjustmentKind(models.TextChoices):
    WAIVER = "waiver", _("waiver")
    ALLOWANCE = "allowance", _("allowance")


class Formula(models.TextChoices):
    FIXED = "fixed", _("fixed amount")
    PERCENT = "percent", _("percentage of the season's fees")
    PER_M2 = "per_m2", _("per m²")


class AdjustmentCategory(models.Model):
    """费用增减类别: a preset reason for a waiver or allowance and how much it is."""

    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="adjustment_categories",
                               verbose_name=_("season"))
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=AdjustmentKind.choices)
    formula = models.CharField(_("formula"), max_length=16, choices=Formula.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=4, validators=[MinValueValidator(0)],
                                help_text=_("yuan, percent or yuan per m², by formula"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["season", "code"]
        verbose_name = _("adjustment category")
        verbose_name_plural = _("adjustment categories")
        constraints = [models.UniqueConstraint(fields=["season", "code"], name="adjustment_category_unique")]

    def __str__(self):
        return self.name


class ChangeReason(models.Model):
    """变更原因: preset reasons offered for heating and area changes, corrections and reversals."""

    class AppliesTo(models.TextChoices):
        HEATING = "heating", _("heating or area change")
        CORRECTION = "correction", _("correction")
        REVERSAL = "reversal", _("reversal")

    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="change_reasons",
                               verbose_name=_("season"))
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=64)
    applies_to = models.CharField(_("used for"), max_length=16, choices=AppliesTo.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["season", "applies_to", "code"]
        verbose_name = _("change reason")
        verbose_name_plural = _("change reasons")
        constraints = [models.UniqueConstraint(fields=["season", "code"], name="change_reason_unique")]

    def __str__(self):
        return self.name


# --- accounts ------------------------------------------------------------------

class SeasonAccount(models.Model):
    """One customer in one season: what the season bills on, and its balance.

    The snapshot (area, type, status, metering, collector) is taken when the
    season opens and changes only through effective-dated changes of this
    season.  The money fields are denormalised sums of the ledger, kept right
    in the same transaction by the services and recomputed set-based by
    services/balances.py."""

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"))
    # Few indexes, none on money: a price change rewrites every row of a season,
    # and with spare room on each page (fillfactor, migration 0005) those
    # updates stay HOT (no index entries written).  The unique (customer, season)
    # and (season, customer_type) indexes cover the customer and season keys.
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, related_name="accounts",
                                 verbose_name=_("customer"), db_index=False)
    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("season"),
                               db_index=False)
    customer_type = models.ForeignKey("core_billing.CustomerType", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("customer type"), db_index=False)
    metering_mode = models.CharField(_("metering mode"), max_length=16, choices=MeteringMode.choices)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("collector"), db_index=False)
    start_area = models.DecimalField(_("area at season start"), max_digits=10, decimal_places=2)
    start_status = models.CharField(_("status at season start"), max_length=16, choices=HeatingStatus.choices)
    area = models.DecimalField(_("heated area (m²)"), max_digits=10, decimal_places=2)
    heating_status = models.CharField(_("heating status"), max_length=16, choices=HeatingStatus.choices)
    # Σ area × days in each state: the fees are price × these ÷ heating days.
    normal_area_days = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    stopped_area_days = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    heat_gj = models.DecimalField(_("heat used (GJ)"), max_digits=12, decimal_places=3, default=Decimal("0"))

    heating_fee = _money(_("heating fee"))
    standby_fee = _money(_("stand-by fee"))
    metered_fee = _money(_("metered fee"))
    corrections = _money(_("corrections"))
    charged = _money(_("charged"))
    discount = _money(_("early-payment discount"))
    adjusted = _money(_("waivers and allowances"))
    late_fee_charged = _money(_("late fee charged"))
    paid = _money(_("paid"))
    due = _money(_("due"))
    late_fee_pending = _money(_("late fee accrued, not yet charged"))
    owed = _money(_("owed today"))
    late_fee_through = models.DateField(_("late fee charged through"), null=True, blank=True)
    balance_as_of = models.DateField(_("balance as of"), null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["season", "customer"]
        verbose_name = _("season account")
        verbose_name_plural = _("season accounts")
        permissions = [
            ("change_heating", _("Can record heating and area changes")),
            ("record_meter_reading", _("Can record heat meter readings")),
        ]
        constraints = [models.UniqueConstraint(fields=["customer", "season"], name="account_customer_season")]
        indexes = [
            models.Index(fields=["season", "customer_type"], name="account_season_type"),
            models.Index(fields=["season", "station"], name="account_season_station"),
        ]

    def __str__(self):
        return f"{self.season_id and self.season.name} {self.customer_id and self.customer.account_no}"

    @property
    def late_fee(self) -> Decimal:
        """Late fee as of the balance date: charged plus accrued."""
        return self.late_fee_charged + self.late_fee_pending


class AccountChange(AppendOnlyModel):
    """报停 · 强停 · 复热 · 加片 · 面积变更, effective from a date of the season."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", _("suspend")
        FORCED_STOP = "forced_stop", _("forced stop")
        RESUME = "resume", _("resume")
        RADIATORS_ADDED = "radiators_added", _("radiators added")
        AREA_CHANGE = "area_change", _("area change")

    STATUS_OF = {Kind.SUSPEND: HeatingStatus.SUSPENDED, Kind.FORCED_STOP: HeatingStatus.FORCED_STOP,
                 Kind.RESUME: HeatingStatus.NORMAL}

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(SeasonAccount, on_delete=models.PROTECT, related_name="changes",
                                verbose_name=_("account"))
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    effective_date = models.DateField(_("effective from"))
    status = models.CharField(_("new heating status"), max_length=16, choices=HeatingStatus.choices, blank=True)
    area = models.DecimalField(_("new area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True)
    before_status = models.CharField(max_length=16, choices=HeatingStatus.choices, blank=True)
    before_area = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    reason = models.ForeignKey(ChangeReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("reason"))
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["account", "effective_date", "id"]
        verbose_name = _("heating or area change")
        verbose_name_plural = _("heating and area changes")

    def __str__(self):
        return f"{self.get_kind_display()} {self.effective_date}"


class PriceChange(AppendOnlyModel):
    """A change of prices or season settings, and what re-pricing it moved."""

    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="price_changes")
    customer_type = models.ForeignKey("core_billing.CustomerType", on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="+")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    accounts = models.PositiveIntegerField(_("accounts re-priced"), default=0)
    money_moved = models.DecimalField(_("money moved"), max_digits=14, decimal_places=2, default=Decimal("0"))
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()  # company-wide: no station to scope by

    class Meta:
        ordering = ["-at"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")

    def __str__(self):
        return f"{self.season} {self.customer_type or ''} {self.at:%Y-%m-%d}"


# --- money in and out ------------------------------------------------------------

class PaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    ONLINE = "online", _("online")


class Receipt(AppendOnlyModel):
    """One payment as the customer sees it (收据); its ledger rows spread it over seasons."""

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"), db_index=False)  # (station, paid_on) covers it
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, related_name="receipts",
                                 verbose_name=_("customer"))
    number = models.CharField(_("receipt number"), max_length=32, unique=True)
    method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    received_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("recorded by"), db_index=False)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("collector"))
    provider = models.CharField(_("payment provider"), max_length=16, blank=True)
    provider_txn_id = models.CharField(_("provider transaction id"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        permissions = [
            ("take_payment", _("Can take payments")),
            ("reverse_payment", _("Can reverse payments")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_txn_id"], condition=~models.Q(provider_txn_id=""),
                                    name="receipt_provider_txn_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_amount_positive"),
        ]
        indexes = [models.Index(fields=["station", "paid_on"], name="receipt_station_day"),
                   # the recent online payments, whose receipt SMS messaging sends (a small slice of the table)
                   models.Index(fields=["received_at"], condition=models.Q(method="online"),
                                name="receipt_online_recent")]

    def __str__(self):
        return self.number


class LedgerEntry(AppendOnlyModel):
    """One posted amount.  Never edited: a reversal (冲正) or correction is a new row pointing at it."""

    class Kind(models.TextChoices):
        HEATING = "heating", _("heating fee")
        STANDBY = "standby", _("stand-by fee")
        METERED = "metered", _("metered fee")
        LATE_FEE = "late_fee", _("late fee")
        CORRECTION = "correction", _("correction")
        PAYMENT = "payment", _("payment")
        DISCOUNT = "discount", _("early-payment discount")
        WAIVER = "waiver", _("waiver")
        ALLOWANCE = "allowance", _("allowance")

    CHARGES = (Kind.HEATING, Kind.STANDBY, Kind.METERED, Kind.CORRECTION)
    CREDITS = (Kind.PAYMENT, Kind.DISCOUNT, Kind.WAIVER, Kind.ALLOWANCE)

    STATION_LOOKUP = "station"

    # Only the indexes lookups need (account+kind, station, and partial ones on
    # the sparse links): every index costs on each of the 100,000 rows a price
    # change appends.
    # No database foreign key on the station (always the account's, whose own key
    # holds it) nor on the price change (append-only, never deleted): each is a
    # check per row at commit, 100,000 of them after a price change.
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                db_constraint=False)
    account = models.ForeignKey(SeasonAccount, on_delete=models.PROTECT, related_name="entries",
                                verbose_name=_("account"), db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2,
                                 help_text=_("effect on what is owed: charges positive, credits negative"))
    value_date = models.DateField(_("date"))
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("posted by"), db_index=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"), db_index=False)
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
                                db_index=False)
    category = models.ForeignKey(AdjustmentCategory, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"), db_index=False)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals",
                                 verbose_name=_("reverses"), db_index=False)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections", verbose_name=_("corrects"), db_index=False)
    # A discount or late fee posted together with a payment points at that payment.
    for_entry = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  db_index=False)
    price_change = models.ForeignKey(PriceChange, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False, db_constraint=False)
    change = models.ForeignKey(AccountChange, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        permissions = [("correct_ledger", _("Can post supervisor corrections"))]
        constraints = [
            # reversing twice is refused by the database too
            models.UniqueConstraint(fields=["reverses"], condition=models.Q(reverses__isnull=False),
                                    name="ledger_reversed_once"),
        ]
        indexes = [
            models.Index(fields=["account", "kind"], name="ledger_account_kind"),
            models.Index(fields=["receipt"], condition=models.Q(receipt__isnull=False), name="ledger_receipt"),
            models.Index(fields=["for_entry"], condition=models.Q(for_entry__isnull=False), name="ledger_for_entry"),
            models.Index(fields=["corrects"], condition=models.Q(corrects__isnull=False), name="ledger_corrects"),
            models.Index(fields=["price_change"], condition=models.Q(price_change__isnull=False),
                         name="ledger_price_change"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def is_credit(self) -> bool:
        return self.kind in self.CREDITS

    @property
    def shown_amount(self) -> Decimal:
        """As staff read it: payments and discounts positive, their reversals negative."""
        return -self.amount if self.is_credit else self.amount


class Adjustment(models.Model):
    """A waiver or allowance asked for; posted to the ledger once approved.

    Up to the approval threshold the granting user's permission is enough;
    above it a second person with the approval permission decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(SeasonAccount, on_delete=models.PROTECT, related_name="adjustments",
                                verbose_name=_("account"))
    category = models.ForeignKey(AdjustmentCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    detail = models.JSONField(default=dict)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("granted by"))
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("approved by"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = ScopedManager()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        permissions = [
            ("grant_adjustment", _("Can grant waivers and allowances")),
            ("approve_adjustment", _("Can approve waivers and allowances")),
        ]
        indexes = [models.Index(fields=["status", "station"], name="adjustment_status_station")]

    def __str__(self):
        return f"{self.category} {self.amount}"
