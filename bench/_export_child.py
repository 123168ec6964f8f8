"""One export in a process of its own (bench/export.py), so its peak memory is its own.

    python -m bench._export_child streamed|naive USER_ID JOB_ID

Prints one JSON line: seconds, peak_mb (the process's peak RSS), before_mb (its
peak once Django and the export code are loaded, before the export), bytes, rows."""
from __future__ import annotations

import json
import sys
import tempfile

from bench.harness import peak_rss_mb, timer


def peak_mb() -> float:
    """This process's peak RSS.  On Linux from VmHWM: ru_maxrss survives fork and
    exec, so it would report the parent's size (the benchmark's in-memory database)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def streamed(job_id: int) -> dict:
    from reports.services.exports import export_job_run

    with timer() as t:
        job = export_job_run(job_id=job_id)
    if job.status != "done":
        raise SystemExit(f"export {job_id} ended {job.status}: {job.message}")
    return {"seconds": round(t["seconds"], 2), "bytes": job.size_bytes, "rows": job.written_rows}


def naive(user_id: int) -> dict:
    """What an export looks like without streaming: load every row, build the whole workbook, save."""
    from openpyxl import Workbook

    from core_billing.models import User
    from reports.exports import get_source
    from reports.xlsx import cell_value

    user = User.objects.get(pk=user_id)
    source = get_source("messages")
    with timer() as t, tempfile.TemporaryFile() as out:
        rows = list(source.query(user, {}))
        wb = Workbook()
        ws = wb.active
        ws.append([str(c.header) for c in source.columns])
        kinds = [c.kind for c in source.columns]
        for row in rows:
            ws.append([cell_value(kind, value) for kind, value in zip(kinds, source.values(row))])
        wb.save(out)
        size = out.tell()
    return {"seconds": round(t["seconds"], 2), "bytes": size, "rows": len(rows)}


def main(argv: list[str]) -> None:
    from django.utils import translation

    from django.db import connection

    import openpyxl  # noqa: F401  (loaded before measuring: what the export itself adds is the point)
    import reports.services.exports  # noqa: F401

    mode, user_id, job_id = argv[0], int(argv[1]), int(argv[2])
    connection.ensure_connection()
    before = round(peak_mb(), 1)
    with translation.override("zh-hans"):
        result = streamed(job_id) if mode == "streamed" else naive(user_id)
    result["peak_mb"] = round(peak_mb(), 1)
    result["before_mb"] = before
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
