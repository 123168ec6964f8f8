"""Pay links and online orders (BIL-17).

A pay link is a short code bound to one customer (and optionally one season),
expiring and revocable; the code itself carries a truncated HMAC so a guessed
code is refused before the database is asked (core_billing/paylinks.py).

An online order is one attempt to pay through a provider: what we asked the
provider to charge (amount, out_trade_no) and what came of it.  The database
allows one open order per customer and pay link, so two taps on "pay" cannot
charge twice.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..scoping import ScopedManager


class PayLink(models.Model):
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"))
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.CASCADE, related_name="pay_links",
                                 verbose_name=_("customer"))
    season = models.ForeignKey("core_billing.Season", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("season"))
    token = models.CharField(_("token"), max_length=8, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pay link")
        verbose_name_plural = _("pay links")
        indexes = [models.Index(fields=["customer", "expires_at"], name="paylink_customer_expiry")]

    def __str__(self):
        return self.token

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class OnlineOrder(models.Model):
    """One attempt to pay online; `amount` is what we asked the provider to charge."""

    class Status(models.TextChoices):
        OPEN = "open", _("awaiting payment")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        REVIEW = "review", _("paid, needs review")

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("heating station"))
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, related_name="online_orders",
                                 verbose_name=_("customer"))
    pay_link = models.ForeignKey(PayLink, on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("pay link"))
    season = models.ForeignKey("core_billing.Season", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("season"))
    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    provider = models.CharField(_("payment provider"), max_length=16)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    provider_txn_id = models.CharField(_("provider transaction id"), max_length=64, blank=True)
    receipt = models.ForeignKey("core_billing.Receipt", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("receipt"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        constraints = [
            models.UniqueConstraint(fields=["customer", "pay_link"], condition=models.Q(status="open"),
                                    name="online_order_one_open_per_link"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="online_order_amount_positive"),
        ]

    def __str__(self):
        return self.out_trade_no
