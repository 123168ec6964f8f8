"""Demo: pay links for a few households owing in each station, and one online
payment already made through the payment simulator, so the pay page, the
receipt page and the online orders in the admin have something to show.
`manage.py paylink <account_no>` prints a link for any household."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from .models import Customer, Station
from .payments import Notification
from .services.online import online_payment_confirm
from .services.paylinks import paylinks_for_customers


def seed(*, org: dict, log=print) -> None:
    if not org.get("created"):
        return
    from .models import OnlineOrder, PayLink

    shown = []
    for station in Station.objects.order_by("code"):
        owing = list(Customer.objects.filter(station=station, arrears_total__gt=0).exclude(mobile="")
                     .order_by("id")[:4])
        if not owing:
            continue
        urls = paylinks_for_customers(owing)
        shown.append((station, owing[0], urls[owing[0].pk]))
        paid = owing[-1]
        link = PayLink.objects.filter(customer=paid).latest("id")
        with transaction.atomic():
            order = OnlineOrder.objects.create(station=station, customer=paid, pay_link=link,
                                               out_trade_no=f"NXDEMO{station.pk:04d}", provider="simulator",
                                               amount=min(paid.arrears_total, settings.PAY_MIN_INSTALMENT))
        online_payment_confirm(provider="simulator", notification=Notification(
            out_trade_no=order.out_trade_no, provider_txn_id=f"SIMDEMO{station.pk:04d}", amount=order.amount,
            paid=True))
    for station, customer, url in shown:
        log(f"pay link for {station.name} household {customer.account_no}: {url}")
    log("pay links: `manage.py paylink <account_no>` prints one; customers look up bills at "
        f"{settings.PUBLIC_BASE_URL}/my/")
