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
    ("缴费回执", "service", False, "您已成功缴纳供热费{{ 缴费金额 }}元，收据号{{ 收据号 }}，电子收据：{{ 收据链接 }}"),
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
    history = _seed_history(admin)
    log(f"messaging: {made} starter SMS topics, {history} past messages; SMS go through the simulator at "
        f"{settings.SMS_SIMULATOR_URL}/sim/")


def _seed_history(admin) -> int:
    """Each station's own topic, last week's heating-start notice (mostly delivered, a
    few failed) and a customer's reply, so records, reports and resend have something to show."""
    import datetime as dt
    import random

    from django.utils import timezone

    from core_billing.models import Customer, Station

    from . import segments
    from .models import InboundMessage, Message, MessageStatus, Topic
    from .services.sending import compose
    from .services.topics import topic_create
    from .templating import render

    rng = random.Random(11)
    notice = Topic.objects.get(name="正式供热通知", station__isnull=True)
    rows = []
    sent_at = timezone.now() - dt.timedelta(days=7)
    for station in Station.objects.order_by("code"):
        topic_create(actor=admin, name=f"{station.name}停热检修通知", kind="notice", station=station,
                     body="尊敬的{{ 客户名称 }}，因管网检修，{{ 小区 }}明日8时至16时暂停供热，敬请谅解。")
        customers = list(Customer.objects.filter(station=station).exclude(mobile="")
                         .select_related("building__community").order_by("id")[:25])
        for customer in customers:
            text = compose(render(notice.body, {"customer_name": customer.name,
                                                "hotline": settings.COMPANY_HOTLINE}), is_marketing=False)
            failed = rng.random() < 0.12
            info = segments.analyze(text)
            rows.append(Message(
                station=station, topic=notice, kind=notice.kind, season="2025-2026", customer=customer,
                phone=customer.mobile, body=text, segments=info.segments, encoding=info.encoding, sender=admin,
                gateway="twilio", gateway_ref=f"SMDEMO{len(rows):08d}", attempts=1,
                status=MessageStatus.FAILED if failed else MessageStatus.DELIVERED,
                error_code="30003" if failed else "", error_text="Unreachable destination handset" if failed else "",
                created_at=sent_at, sent_at=sent_at, delivered_at=None if failed else sent_at,
                failed_at=sent_at if failed else None, updated_at=sent_at))
        if customers:
            InboundMessage.objects.create(station=station, gateway="twilio", gateway_ref=f"SMDEMOIN{station.pk}",
                                          phone=customers[0].mobile, body="收到，谢谢", customer=customers[0],
                                          received_at=sent_at + dt.timedelta(minutes=5))
    Message.objects.bulk_create(rows)
    return len(rows)
