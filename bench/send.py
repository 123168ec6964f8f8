"""send: 20,000 messages through the SMS simulator allowing 500 msg/s; achieved rate vs the allowed rate (goal >= 90 %).

The gateway is configured with the simulator's allowed rate; the global
limiter (Redis when REDIS_URL is set, a locked file otherwise) paces one
worker process of 4 threads.  Baseline: the allowed rate itself.
"""
from __future__ import annotations

from django.conf import settings

from bench import harness
from bench._sms import make_messages, outcome, point_gateway, reset_rate, run_worker, sim_stats, start_simulator, stop

ALLOWED = 500.0


def run(args) -> dict:
    n = args.n or 20000
    proc, url = start_simulator(rate=ALLOWED)
    try:
        point_gateway(url, rate=ALLOWED)
        ids, create_seconds = make_messages(n, code="SEND")
        reset_rate()
        result = run_worker(ids, threads=4)
        stats = sim_stats(url)
    finally:
        stop(proc)
    sent, not_sent = outcome("SEND")
    rate = n / result["seconds"]
    out = {
        "name": "send", "n": n, "seconds": round(result["seconds"], 2), "rate": round(rate, 1),
        "allowed_rate": ALLOWED, "baseline": "the simulator's allowed rate", "baseline_seconds": round(n / ALLOWED, 2),
        "ratio": round(rate / ALLOWED, 3), "ratio_means": "achieved rate ÷ allowed rate (goal >= 0.9)",
        "p50_ms": round(harness.percentile(result["durations"], 50) * 1000, 1),
        "p99_ms": round(harness.percentile(result["durations"], 99) * 1000, 1),
        "p_of": f"per {settings.SMS_BATCH_SIZE}-message batch",
        "errors": n - sent, "duplicates": stats["accepted"] - sent,
        "rate_limited_429": stats["rate_limited"], "not_sent": not_sent, "create_seconds": round(create_seconds, 2),
        "cpu_ms_per_item": round(result["cpu"] * 1000 / n, 3), "peak_mb": round(harness.peak_rss_mb(), 1),
    }
    print(f"   {n} messages in {out['seconds']} s = {out['rate']} msg/s against {ALLOWED:g} allowed "
          f"({out['ratio']:.1%}); 429s: {stats['rate_limited']}; rows written in {out['create_seconds']} s")
    return out
