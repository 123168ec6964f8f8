"""paylinks: pay links for a 100,000-household campaign, made in bulk (counted queries), against one at a time.

Baseline: a link created per customer with its own lookup and insert (what a
per-recipient placeholder would do), timed on a sample and scaled.  A second
call for the same households reuses every live link."""
from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.harness import peak_rss_mb, timer, vendor


def run(args) -> dict:
    from core_billing.models import Customer
    from core_billing.services.paylinks import paylinks_for_customers
    from tests import factories as f

    n = args.n or 100_000
    st = f.station("L1", "基准站")
    bldg = f.building(f.community(st, "基准小区"), "1号楼", units=4)
    ctype = f.customer_type()
    for i in range(0, n, 10_000):
        Customer.objects.bulk_create([Customer(station=st, building=bldg, unit=1, room=f"R{j}",
                                               account_no=f"L{j:07d}", name="王芳", customer_type=ctype,
                                               area=Decimal("80")) for j in range(i, min(n, i + 10_000))],
                                     batch_size=2000)
    people = list(Customer.objects.filter(station=st).only("pk", "station_id"))
    with CaptureQueriesContext(connection) as made, timer() as t:
        urls = paylinks_for_customers(people)
    with CaptureQueriesContext(connection) as reused, timer() as r:
        again = paylinks_for_customers(people)
    assert len(urls) == n and again == urls
    sample = people[:500]
    extra = list(Customer.objects.bulk_create([Customer(station=st, building=bldg, unit=2, room=f"S{j}",
                                                        account_no=f"S{j:07d}", name="王芳", customer_type=ctype,
                                                        area=Decimal("80")) for j in range(len(sample))]))
    with timer() as b:
        for c in extra:
            paylinks_for_customers([c])
    baseline_seconds = b["seconds"] * n / len(extra)
    print(f"{n} links in {t['seconds']:.1f}s with {len(made)} queries; reused in {r['seconds']:.1f}s with "
          f"{len(reused)} queries; one at a time: {len(extra)} in {b['seconds']:.1f}s -> {baseline_seconds:.0f}s")
    return {"name": "paylinks", "n": n, "seconds": round(t["seconds"], 2), "queries": len(made),
            "reuse_seconds": round(r["seconds"], 2), "reuse_queries": len(reused),
            "baseline": "one customer at a time (sampled)", "baseline_seconds": round(baseline_seconds, 1),
            "ratio": round(baseline_seconds / t["seconds"], 1), "ratio_means": "speed-up (× faster)",
            "rate": round(n / t["seconds"]), "peak_mb": round(peak_rss_mb()), "errors": 0, "database": vendor()}
