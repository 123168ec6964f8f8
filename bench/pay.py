"""pay: payment notifications per second, each recorded exactly once, against a naive handler.

N orders; every notification arrives three times (providers retry), shuffled,
handled by 8 threads (one on SQLite): signature checked on the raw body, then
online_payment_confirm (order locked, amount checked, ledger and balances
written).  Baseline, same run, same load: the same signature check, then a
naive "already paid?" check and record with no lock and no transaction id
(what a first version often does); its duplicate payments are counted.  A
third set goes through the whole notify view (Django's request stack, as a
provider's POST would) for the end-to-end rate.  The receipt SMS listener
is switched off: this measures recording."""
from __future__ import annotations

import random
import threading
from decimal import Decimal

from django.db import connections

from bench.harness import peak_rss_mb, timer, vendor



def _threads() -> int:
    # the benchmark's SQLite database is in memory, shared between threads by table locks: one at a time there
    return 8 if vendor() == "postgresql" else 1
COPIES = 3


def _orders(n: int, tag: str):
    from core_billing.models import Customer, OnlineOrder, PayLink
    from core_billing.services.billing import accounts_open
    from core_billing.services.paylinks import paylinks_for_customers
    from tests import factories as f

    st = f.station(f"P{tag}", f"基准站{tag}")
    bldg = f.building(f.community(st, f"基准小区{tag}"), "1号楼", units=4)
    ctype = f.customer_type()
    Customer.objects.bulk_create([Customer(station=st, building=bldg, unit=1, room=f"{tag}{i}",
                                           account_no=f"{tag}{i:07d}", name="王芳", customer_type=ctype,
                                           area=Decimal("80")) for i in range(n)])
    people = list(Customer.objects.filter(station=st))
    from core_billing.models import Season
    accounts_open(season=Season.objects.get(is_current=True), as_of=None)
    paylinks_for_customers(people)
    links = dict(PayLink.objects.filter(customer__in=people).values_list("customer_id", "pk"))
    OnlineOrder.objects.bulk_create([OnlineOrder(station=st, customer=c, pay_link_id=links[c.pk],
                                                 out_trade_no=f"NXB{tag}{c.pk:09d}", provider="simulator",
                                                 amount=Decimal("100.00")) for c in people])
    return list(OnlineOrder.objects.filter(station=st).values_list("out_trade_no", "customer_id"))


def _run_threads(jobs, work) -> list:
    random.Random(7).shuffle(jobs)
    lock, errors = threading.Lock(), []
    it = iter(jobs)

    def worker():
        try:
            while True:
                with lock:
                    job = next(it, None)
                if job is None:
                    return
                try:
                    work(job)
                except Exception as exc:  # counted, not fatal
                    errors.append(repr(exc))
        finally:
            connections.close_all()
    threads = [threading.Thread(target=worker) for _ in range(_threads())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def run(args) -> dict:
    import datetime as dt

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from core_billing.models import OnlineOrder, PaymentMethod, Receipt
    from core_billing.payments.simulator import notification_for
    from core_billing.services.ledger import payment_take
    from core_billing.signals import payment_recorded
    from messaging.receivers import send_receipt
    from tests import factories as f

    payment_recorded.disconnect(send_receipt, dispatch_uid="messaging.payment_receipt")
    settings.ALLOWED_HOSTS = ["*"]
    n = args.n or 400
    today = timezone.localdate()
    f.season(name=f"{today.year}-{today.year + 1}", start=today - dt.timedelta(days=10),
             end=today + dt.timedelta(days=120), late_start=None, tiers=[], open_accounts=False)
    secret = settings.PAYMENT_PROVIDERS["simulator"]["SECRET"]

    ours = _orders(n, "A")
    notes = {no: notification_for(secret, out_trade_no=no, amount="100.00") for no, _c in ours}
    client_local = threading.local()

    from core_billing.payments import NotifyRequest, get_provider
    from core_billing.services.online import online_payment_confirm

    provider = get_provider("simulator")

    def confirm(no):
        body, headers = notes[no]
        note = provider.parse_notification(NotifyRequest(headers=headers, body=body))
        if not online_payment_confirm(provider="simulator", notification=note).accepted:
            raise RuntimeError("not accepted")
    with timer() as t:
        errors = _run_threads([no for no, _c in ours for _ in range(COPIES)], confirm)
    recorded = Receipt.objects.filter(customer__station__code="PA").count()
    paid = OnlineOrder.objects.filter(station__code="PA", status="paid").count()
    duplicates = recorded - paid

    http = _orders(n, "H")
    notes.update({no: notification_for(secret, out_trade_no=no, amount="100.00") for no, _c in http})
    client_local = threading.local()

    def post(no):
        client = getattr(client_local, "c", None) or Client()
        client_local.c = client
        body, headers = notes[no]
        answer = client.post("/webhooks/pay/simulator/notify/", data=body, content_type="application/json",
                             HTTP_PAYSIM_SIGNATURE=headers["Paysim-Signature"])
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code} {answer.content[:80]!r}")
    with timer() as h:
        http_errors = _run_threads([no for no, _c in http for _ in range(COPIES)], post)
    errors += http_errors
    http_recorded = Receipt.objects.filter(customer__station__code="PH").count()
    duplicates += http_recorded - OnlineOrder.objects.filter(station__code="PH", status="paid").count()

    naive = _orders(n, "N")
    by_no = dict(naive)
    from core_billing.models import Customer
    customers = Customer.objects.in_bulk(list(by_no.values()))
    naive_notes = {no: notification_for(secret, out_trade_no=no, amount="100.00") for no in by_no}

    def naive_record(no):
        body, headers = naive_notes[no]
        provider.parse_notification(NotifyRequest(headers=headers, body=body))
        order = OnlineOrder.objects.get(out_trade_no=no)
        if order.status == "paid":  # check, then act: two copies at once both pass
            return
        receipt = payment_take(actor=None, customer=customers[by_no[no]], amount=order.amount,
                               method=PaymentMethod.ONLINE, provider="naive", provider_txn_id=f"T{no}-{random.random()}")
        OnlineOrder.objects.filter(pk=order.pk).update(status="paid", receipt=receipt.receipt)
    with timer() as b:
        naive_errors = _run_threads([no for no, _c in naive for _ in range(COPIES)], naive_record)
    naive_recorded = Receipt.objects.filter(customer__station__code="PN").count()
    handled = n * COPIES
    print(f"ours: {handled} notifications ({n} orders × {COPIES}) in {t['seconds']:.2f}s "
          f"({handled / t['seconds']:.0f}/s), {recorded} payments, {duplicates} duplicates, {len(errors)} errors; "
          f"naive: {b['seconds']:.2f}s ({handled / b['seconds']:.0f}/s), {naive_recorded} payments for {n} orders "
          f"({naive_recorded - n} duplicates), {len(naive_errors)} errors; through the notify view: "
          f"{h['seconds']:.2f}s ({handled / h['seconds']:.0f}/s), {http_recorded} payments")
    return {"name": "pay", "n": handled, "seconds": round(t["seconds"], 2),
            "baseline": "naive check-then-record, no lock, no transaction id", "baseline_seconds": round(b["seconds"], 2),
            "ratio": round(t["seconds"] / b["seconds"], 2), "ratio_means": "ours ÷ baseline (time)",
            "rate": round(handled / t["seconds"]), "errors": len(errors), "duplicates": duplicates,
            "baseline_duplicates": naive_recorded - n, "rate_through_view": round(handled / h["seconds"]), "peak_mb": round(peak_rss_mb()),
            "cpu_ms_per_item": round(1000 * t["cpu"] / handled, 3), "database": vendor()}
