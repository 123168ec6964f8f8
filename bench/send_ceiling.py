"""send_ceiling: 20,000 messages, simulator allowing 5,000 msg/s; the rate one worker process reaches and its CPU per message (goal >= 1,000/s).

Same pipeline as `send` (claim, gateway over HTTP, record, global limiter),
with the limit far above what one process can do, so the figure is our own
ceiling.  Baseline: the allowed rate.
"""
from __future__ import annotations

from django.conf import settings

from bench import harness
from bench._sms import make_messages, outcome, point_gateway, reset_rate, run_worker, sim_stats, start_simulator, stop

ALLOWED = 5000.0
GOAL = 1000.0


def run(args) -> dict:
    n = args.n or 20000
    proc, url = start_simulator(rate=ALLOWED, extra=["--burst", "500"])
    try:
        point_gateway(url, rate=ALLOWED, concurrency=8)
        ids, create_seconds = make_messages(n, code="CEIL")
        reset_rate()
        result = run_worker(ids, threads=4)
        stats = sim_stats(url)
    finally:
        stop(proc)
    sent, not_sent = outcome("CEIL")
    rate = n / result["seconds"]
    out = {
        "name": "send_ceiling", "n": n, "seconds": round(result["seconds"], 2), "rate": round(rate, 1),
        "allowed_rate": ALLOWED, "baseline": "the simulator's allowed rate", "baseline_seconds": round(n / ALLOWED, 2),
        "ratio": round(rate / ALLOWED, 3), "ratio_means": "achieved rate ÷ allowed rate",
        "goal_rate_per_process": GOAL, "meets_goal": rate >= GOAL,
        "cpu_ms_per_item": round(result["cpu"] * 1000 / n, 3),
        "p50_ms": round(harness.percentile(result["durations"], 50) * 1000, 1),
        "p99_ms": round(harness.percentile(result["durations"], 99) * 1000, 1),
        "p_of": f"per {settings.SMS_BATCH_SIZE}-message batch",
        "errors": n - sent, "duplicates": stats["accepted"] - sent,
        "rate_limited_429": stats["rate_limited"], "not_sent": not_sent, "create_seconds": round(create_seconds, 2),
        "peak_mb": round(harness.peak_rss_mb(), 1),
    }
    print(f"   one worker process: {out['rate']} msg/s, {out['cpu_ms_per_item']} ms CPU per message "
          f"(simulator allows {ALLOWED:g}/s); rows written in {out['create_seconds']} s")
    return out
