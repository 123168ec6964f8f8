"""Demo: the SMS simulator as a demo process (so `make demo` sends through it,
over the real Twilio API, with receipts coming back to the webhook) and a few
starter topics.  The phone the simulator plays is at http://127.0.0.1:8025/sim/."""
from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings

PROCESSES = [
    ("smsgate", ["smsgate_sim", "--port", str(urlparse(settings.SMS_SIMULATOR_URL).port or 8025), "--rate", "100",
                 "--latency-ms", "20", "--receipt-latency-ms", "800", "--undelivered-rate", "0.05",
                 "--duplicate-rate", "0.05", "--out-of-order-rate", "0.05"]),
]

STARTER_TOPICS = [
    ("正式供热通知", "notice", False, "尊敬的{{ 客户名称 }}，本采暖期将于11月1日正式供热，如家中暖气不热请拨打{{ 客服热线 }}。"),
    ("打压试水通知", "notice", False, "尊敬的{{ 客户名称 }}，{{ 小区 }}将于近日进行打压试水，请家中留人并关好阀门。"),
    ("报修受理回复", "service", False, "您好，您的报修已受理，维修人员将尽快与您联系。客服热线{{ 客服热线 }}。"),
    ("会议通知", "internal", False, "{{ 员工姓名 }}：请于明天上午9点到{{ 供热站 }}会议室参加收费工作会议。"),
]


def seed(*, org: dict, log=print) -> None:
    from core_billing.models import User

    from .models import Topic
    from .services.topics import topic_create

    admin = User.objects.get(username="admin")
    made = 0
    for name, kind, marketing, body in STARTER_TOPICS:
        if not Topic.objects.filter(name=name, station__isnull=True).exists():
            topic_create(actor=admin, name=name, kind=kind, body=body, is_marketing=marketing, company_wide=True)
            made += 1
    log(f"messaging: {made} starter SMS topics; SMS go through the simulator at {settings.SMS_SIMULATOR_URL}/sim/")
