"""Online payments (BIL-17): start an order from a pay link, confirm it from the
provider's verified notification.

    pay_quote(link) -> PayQuote                       what the link's customer owes now, and the limits
    online_order_start(*, link, mode, amount, provider, client_ip) -> (OnlineOrder, redirect URL)
    online_payment_confirm(*, provider, notification) -> Confirmed(outcome, order, receipt)

The amount is decided here, never by the browser: "full" is what settles the
link's seasons today (discounts and late fees as payment_take will apply them),
an instalment is checked against PAY_MIN_INSTALMENT and that total.  A
notification is recorded exactly once: the order row is locked, its status
moves with a conditional update, and the ledger's unique (provider,
transaction id) catches anything that slips past.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..errors import AppError
from ..models import OnlineOrder, PayLink, PaymentMethod, Receipt
from ..payments import CheckoutContext, Notification, ProviderError, get_provider
from ..selectors.billing import BillingSummary, SeasonLine, customer_billing_summary
from ._money import parse_money
from .ledger import payment_take

log = logging.getLogger("core_billing.online")
ZERO = Decimal("0.00")
Status = OnlineOrder.Status


@dataclass
class PayQuote:
    summary: BillingSummary
    lines: list[SeasonLine]  # the seasons this link pays, owing ones only
    full: Decimal  # settles them all today
    minimum: Decimal  # the smallest instalment accepted

    @property
    def owed(self) -> Decimal:
        return sum((line.owed for line in self.lines), ZERO)


def pay_quote(link: PayLink) -> PayQuote:
    summary = customer_billing_summary(link.customer)
    lines = [line for line in summary.seasons if line.to_settle > 0
             and (link.season_id is None or line.season_id == link.season_id)]
    full = sum((line.to_settle for line in lines), ZERO)
    return PayQuote(summary, lines, full, min(settings.PAY_MIN_INSTALMENT, full))


def _out_trade_no() -> str:
    return f"NX{timezone.localtime():%y%m%d%H%M%S}{secrets.randbelow(10 ** 8):08d}"


def _amount_for(quote: PayQuote, mode: str, amount) -> Decimal:
    if quote.full <= 0:
        raise AppError("您目前没有需要缴纳的费用。", field="amount")
    if mode == "full":
        return quote.full
    if mode != "part":
        raise AppError("请选择全额缴纳或分期缴纳。", field="mode")
    value = parse_money(amount, field="amount", label="缴费金额")
    if value < quote.minimum:
        raise AppError(f"分期缴费每次不少于 {quote.minimum} 元。", field="amount",
                       extra={"minimum": str(quote.minimum)})
    if value > quote.full:
        raise AppError(f"缴费金额不能超过应缴的 {quote.full} 元。", field="amount", extra={"full": str(quote.full)})
    return value


@transaction.atomic
def _order_create(*, link: PayLink, amount: Decimal, provider: str) -> OnlineOrder:
    # A customer who starts again replaces the open order; if the first one is
    # paid after all, its notification is still recorded (the money was taken).
    OnlineOrder.objects.filter(customer_id=link.customer_id, pay_link=link, status=Status.OPEN).update(
        status=Status.CANCELLED)
    try:
        with transaction.atomic():
            return OnlineOrder.objects.create(station_id=link.station_id, customer_id=link.customer_id,
                                              pay_link=link, season_id=link.season_id, out_trade_no=_out_trade_no(),
                                              provider=provider, amount=amount)
    except IntegrityError as exc:  # another tap on "pay" won the race
        raise AppError("正在处理您的另一笔支付，请稍候再试。", code="order_open") from exc


def online_order_start(*, link: PayLink, mode: str, amount=None, provider: str, client_ip: str = ""
                       ) -> tuple[OnlineOrder, str]:
    if not link.is_live:
        raise AppError("缴费链接已失效。", code="link_gone")
    if provider not in settings.PAYMENT_PROVIDERS_OFFERED:
        raise AppError("请选择支付方式。", field="provider")
    try:
        backend = get_provider(provider)
    except ProviderError as exc:
        raise AppError(str(exc), field="provider") from exc
    if not backend.is_configured():
        raise AppError("该支付方式暂不可用，请换一种支付方式。", field="provider")
    value = _amount_for(pay_quote(link), mode, amount)
    order = _order_create(link=link, amount=value, provider=provider)
    from .. import paylinks as codes

    code = codes.code_for(link.token)
    ctx = CheckoutContext(
        notify_url=f"{settings.PUBLIC_BASE_URL}{reverse('webhooks:pay-notify', args=[provider])}",
        return_url=f"{settings.PUBLIC_BASE_URL}{reverse('pay:done', args=[code, order.out_trade_no])}",
        client_ip=client_ip, subject=f"{settings.COMPANY_NAME}供热费 {link.customer.account_no}")
    try:
        url = backend.start(order, ctx)  # outside any transaction: it may call the provider
    except ProviderError as exc:
        OnlineOrder.objects.filter(pk=order.pk, status=Status.OPEN).update(status=Status.CANCELLED,
                                                                           note=str(exc)[:200])
        raise AppError("支付渠道暂时不可用，请稍后再试或换一种支付方式。", code="provider_unavailable") from exc
    return order, url


class Outcome:
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"
    NOT_PAID = "not_paid"
    REVIEW = "review"

    # answered "received" to the provider (no retry wanted)
    ACCEPTED = {RECORDED, DUPLICATE, UNKNOWN, NOT_PAID, REVIEW}


@dataclass
class Confirmed:
    outcome: str
    order: OnlineOrder | None = None
    receipt: Receipt | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in Outcome.ACCEPTED


def _paid_on(note: Notification) -> dt.date:
    today = timezone.localdate()
    if note.paid_at is None:
        return today
    return min(timezone.localdate(note.paid_at) if timezone.is_aware(note.paid_at) else note.paid_at.date(), today)


@transaction.atomic
def online_payment_confirm(*, provider: str, notification: Notification) -> Confirmed:
    note = notification
    if not note.paid:
        return Confirmed(Outcome.NOT_PAID)
    # of=self: lock the order only, not its customer and station (every payment of a station would queue)
    order = (OnlineOrder.objects.select_for_update(of=("self",)).select_related("customer__station")
             .filter(out_trade_no=note.out_trade_no, provider=provider).first())
    if order is None:
        log.warning("payment notification from %s for unknown order %s (txn %s, %s yuan)", provider,
                    note.out_trade_no, note.provider_txn_id, note.amount)
        return Confirmed(Outcome.UNKNOWN)
    if note.amount != order.amount:
        log.error("payment notification from %s for order %s: amount %s, asked %s; not recorded", provider,
                  order.out_trade_no, note.amount, order.amount)
        return Confirmed(Outcome.MISMATCH, order)
    if order.status in (Status.PAID, Status.REVIEW):
        if order.provider_txn_id != note.provider_txn_id:
            log.error("order %s paid twice at %s (%s, then %s): refund the second", order.out_trade_no, provider,
                      order.provider_txn_id, note.provider_txn_id)
            return Confirmed(Outcome.REVIEW, order)
        return Confirmed(Outcome.DUPLICATE, order, order.receipt)
    try:  # payment_take is atomic itself: an AppError rolls back to its savepoint
        result = payment_take(actor=None, customer=order.customer, amount=order.amount,
                              method=PaymentMethod.ONLINE, provider=provider,
                              provider_txn_id=note.provider_txn_id, season=order.season_id,
                              paid_on=_paid_on(note), note=f"网上缴费 {order.out_trade_no}")
    except AppError as exc:
        # The customer paid but the money no longer fits (settled at the desk meanwhile):
        # keep the facts for a person to refund or credit.
        OnlineOrder.objects.filter(pk=order.pk, status__in=[Status.OPEN, Status.CANCELLED]).update(
            status=Status.REVIEW, provider_txn_id=note.provider_txn_id, paid_at=timezone.now(),
            note=exc.message[:200])
        log.error("order %s paid at %s but not recorded: %s", order.out_trade_no, provider, exc.message)
        return Confirmed(Outcome.REVIEW, order)
    paid = {"status": Status.PAID, "provider_txn_id": note.provider_txn_id, "receipt": result.receipt,
            "paid_at": timezone.now()}
    moved = OnlineOrder.objects.filter(pk=order.pk, status__in=[Status.OPEN, Status.CANCELLED]).update(**paid)
    if moved:  # the row is locked: what was written is what it holds
        for name, value in paid.items():
            setattr(order, name, value)
    else:
        order.refresh_from_db()
    if not moved or not result.created:
        return Confirmed(Outcome.DUPLICATE, order, result.receipt)
    return Confirmed(Outcome.RECORDED, order, result.receipt)


def order_for_link(link: PayLink, out_trade_no: str) -> OnlineOrder | None:
    return OnlineOrder.objects.select_related("receipt").filter(pay_link=link, out_trade_no=out_trade_no).first()
