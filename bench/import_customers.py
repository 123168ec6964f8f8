"""import_customers: a 50,000-row customer workbook checked and imported in one transaction.

Baseline: the same rows created one by one through the customer_create service
(what an import without bulk writes would do), timed on a sample and scaled."""
from __future__ import annotations

import io
import time

from openpyxl import Workbook

from bench.harness import peak_rss_mb, timer, vendor


def _workbook(n: int, community: str, building: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["户号", "姓名", "小区", "楼号", "单元", "房号", "客户类型", "面积", "供热状态", "计量方式", "电话", "备注"])
    for i in range(n):
        ws.append([f"X{i:07d}", "王芳", community, building, 1 + i % 4, f"R{i}", "居民", 80 + i % 50,
                   "正常", "面积", f"139{i:08d}", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(args) -> dict:
    from core_billing.models import Customer, ImportJob
    from core_billing.services.customers import customer_create
    from core_billing.services.imports import import_job_run
    from core_billing.models import CustomerType
    from tests import factories as f

    n = args.n or 50_000
    st = f.station("B1", "基准站")
    comm = f.community(st, "基准小区")
    bldg = f.building(comm, "1号楼", units=4)
    ctype = f.customer_type()
    actor = f.user("bench_supervisor", "supervisor", st=st)
    data = _workbook(n, comm.name, bldg.name)
    job = ImportJob.objects.create(station=st, actor=actor, filename="bench.xlsx", source=data)
    with timer() as t:
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.message
    imported = Customer.objects.filter(account_no__startswith="X").count()

    sample = min(500, n)
    with timer() as b:
        for i in range(sample):
            customer_create(actor=actor, building=bldg, unit=1 + i % 4, room=f"S{i}", account_no=f"Y{i:07d}",
                            name="王芳", customer_type=CustomerType.objects.get(pk=ctype.pk), area=80,
                            phones=[f"138{i:08d}"])
    baseline_seconds = b["seconds"] * n / sample
    print(f"imported {imported} rows in {t['seconds']:.1f}s ({imported / t['seconds']:.0f} rows/s); "
          f"per-row service: {sample} rows in {b['seconds']:.1f}s -> {baseline_seconds:.0f}s for {n}")
    return {"name": "import_customers", "n": imported, "seconds": round(t["seconds"], 2),
            "baseline": "customer_create per row (sampled)", "baseline_seconds": round(baseline_seconds, 1),
            "ratio": round(baseline_seconds / t["seconds"], 1), "ratio_means": "speed-up (× faster)",
            "rate": round(imported / t["seconds"]), "peak_mb": round(peak_rss_mb()),
            "cpu_ms_per_item": round(1000 * t["cpu"] / n, 3), "errors": n - imported, "database": vendor()}
