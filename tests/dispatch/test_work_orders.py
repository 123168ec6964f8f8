"""Work orders: lifecycle, SMS to repair staff through the simulator, reminders,
escalations, SMS replies, isolation."""
import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core_billing.errors import AppError
from dispatch.inbound import HELP
from dispatch.models import RepairWorker, WorkOrder, WorkOrderEvent
from dispatch.services import work_orders as svc
from messaging.gateways.base import InboundSms
from messaging.models import Message
from messaging.services.inbound import inbound_receive
from tests import factories as f

pytestmark = pytest.mark.django_db
_ref = itertools.count(1)


@pytest.fixture
def crew(org):
    """Dispatchers and two repair workers per station; a supervisor with a mobile for escalations."""
    data = {}
    for k, st in (("1", org.s1), ("2", org.s2)):
        data[f"dispatcher{k}"] = f.user(f"dispatcher{k}", "dispatcher", st=st)
        for suffix, n in (("a", 1), ("b", 2)):
            user = f.user(f"repair{k}{suffix}", st=st, full_name=f"师傅{k}{suffix}", mobile=f"+86137{k}000000{n}")
            data[f"worker{k}{suffix}"] = RepairWorker.objects.create(user=user, station=st, skills=["no_heat"])
    org.supervisor1.mobile = "+8613911110000"
    org.supervisor1.save(update_fields=["mobile"])
    return type("Crew", (), data)


def make_order(org, crew, **kw):
    start = timezone.now() + dt.timedelta(hours=1)
    defaults = dict(actor=crew.dispatcher1, customer=org.customer1, problem="卧室暖气不热", category="no_heat",
                    appointment_start=start, appointment_end=start + dt.timedelta(hours=2))
    return svc.work_order_create(**{**defaults, **kw})


def reply(phone: str, body: str):
    return inbound_receive(gateway="twilio", items=[InboundSms(ref=f"IN{next(_ref)}", phone=phone, to="", body=body)])


def test_create_from_registry_fills_address_and_contact_and_numbers_per_day(org, crew):
    a = make_order(org, crew)
    b = make_order(org, crew, customer=None, address="幸福路3号锅炉房", contact_name="物业老李",
                   contact_phone="0412-5556666")
    today = timezone.localdate().strftime("%Y%m%d")
    assert (a.number, b.number) == (f"GD-{today}-0001", f"GD-{today}-0002")
    assert a.address == org.customer1.address and a.contact_name == "张伟1"
    assert a.contact_phone == "+8613800138001" and b.contact_phone == "+864125556666"
    other = svc.work_order_create(actor=crew.dispatcher2, customer=org.customer2, problem="漏水", category="leak")
    assert other.number == f"GD-{today}-0001"  # numbering is per station
    assert list(a.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize("kw, field", [
    ({"problem": " "}, "problem"),
    ({"customer": None, "address": "", "contact_name": "x", "contact_phone": "13800000000"}, "address"),
    ({"customer": None, "address": "x", "contact_name": "x", "contact_phone": "123"}, "contact_phone"),
    ({"category": "fire"}, "category"),
])
def test_bad_input_names_the_field_and_writes_nothing(org, crew, kw, field):
    with pytest.raises(AppError) as err:
        make_order(org, crew, **kw)
    assert err.value.field == field
    assert not WorkOrder.objects.exists()


def test_window_end_before_start_refused(org, crew):
    now = timezone.now()
    with pytest.raises(AppError) as err:
        make_order(org, crew, appointment_start=now, appointment_end=now - dt.timedelta(hours=1))
    assert err.value.field == "appointment_end"


def test_assign_sends_the_details_to_the_worker(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    phone = sim.received(crew.worker1a.mobile)
    assert len(phone) == 1
    body = phone[0]["body"]
    for text in (order.number, org.customer1.address, "张伟1", "+8613800138001", "卧室暖气不热", "回复“1 " + order.number):
        assert text in body, text
    message = Message.objects.get(work_order_id=order.pk)
    assert message.staff_id == crew.worker1a.user_id and message.station_id == org.s1.pk
    order.refresh_from_db()
    assert order.status == "assigned" and order.assignment_no == 1


def test_reassign_tells_both_workers(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        order = svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    with django_capture_on_commit_callbacks(execute=True):
        order = svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1b)
    assert "已改派" in sim.received(crew.worker1a.mobile)[-1]["body"]
    assert order.number in sim.received(crew.worker1b.mobile)[-1]["body"]
    assert order.assignment_no == 2 and order.worker_id == crew.worker1b.pk
    assert list(order.events.values_list("kind", flat=True)) == ["created", "assigned", "reassigned"]


def test_cannot_assign_to_other_station_worker_or_out_of_order(org, crew):
    order = make_order(org, crew)
    with pytest.raises(AppError):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker2a)
    with pytest.raises(AppError) as err:
        svc.work_order_accept(actor=crew.dispatcher1, work_order=order)
    assert "不能接单" in err.value.message
    with pytest.raises(AppError):
        svc.work_order_assign(actor=org.service1, work_order=order, worker=crew.worker1a)  # no permission


def test_lifecycle_by_sms_replies(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    with django_capture_on_commit_callbacks(execute=True):
        reply(crew.worker1a.mobile, f"1 {order.number}")
    order.refresh_from_db()
    assert order.status == "accepted" and order.accepted_at
    assert "已接单" in sim.received(crew.worker1a.mobile)[-1]["body"]
    with django_capture_on_commit_callbacks(execute=True):
        reply(crew.worker1a.mobile, f"２ {order.number.lower()}")  # full-width digit, lower case
    order.refresh_from_db()
    assert order.status == "done" and order.finished_at
    steps = list(order.events.values_list("kind", "via"))
    assert steps[-2:] == [("accepted", "sms"), ("finished", "sms")]


def test_unreadable_reply_gets_help_and_changes_nothing(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    with django_capture_on_commit_callbacks(execute=True):
        reply(crew.worker1a.mobile, "好的收到")
    assert sim.received(crew.worker1a.mobile)[-1]["body"].endswith(HELP) or HELP in sim.received(
        crew.worker1a.mobile)[-1]["body"]
    order.refresh_from_db()
    assert order.status == "assigned"


def test_reply_from_someone_else_changes_nothing(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    with django_capture_on_commit_callbacks(execute=True):
        reply(crew.worker1b.mobile, f"2 {order.number}")  # a colleague
        reply(crew.worker2a.mobile, f"2 {order.number}")  # another station's worker
        reply("+8613900009999", f"2 {order.number}")  # a stranger
    order.refresh_from_db()
    assert order.status == "assigned"
    assert "没有派给您的工单" in sim.received(crew.worker1b.mobile)[-1]["body"]


def test_reminders_and_escalations_go_once(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    later = timezone.now() + dt.timedelta(minutes=31)
    for _ in range(2):  # beat runs twice; the reminder goes once
        with django_capture_on_commit_callbacks(execute=True):
            svc.work_orders_sweep(now=later, accept_minutes=30)
    reminders = [m for m in sim.received(crew.worker1a.mobile) if "催办" in m["body"]]
    assert len(reminders) == 1
    past_window = timezone.now() + dt.timedelta(hours=4)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            counts = svc.work_orders_sweep(now=past_window, accept_minutes=30)
    escalations = [m for m in sim.received(org.supervisor1.mobile) if "督办" in m["body"]]
    assert len(escalations) == 1 and order.number in escalations[0]["body"]
    assert counts == {"reminders": 0, "escalations": 0}
    # a reassignment is a new step: its own reminder may go
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1b)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_orders_sweep(now=timezone.now() + dt.timedelta(minutes=31), accept_minutes=30)
    assert any("催办" in m["body"] for m in sim.received(crew.worker1b.mobile))


def test_manual_reminder_and_cancel(org, crew, sim, django_capture_on_commit_callbacks):
    order = make_order(org, crew)
    with pytest.raises(AppError):
        svc.work_order_remind(actor=crew.dispatcher1, work_order=order)  # nobody to remind yet
    with django_capture_on_commit_callbacks(execute=True):
        order = svc.work_order_assign(actor=crew.dispatcher1, work_order=order, worker=crew.worker1a)
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_remind(actor=crew.dispatcher1, work_order=order)
        svc.work_order_remind(actor=crew.dispatcher1, work_order=order)
    assert sum("催办" in m["body"] for m in sim.received(crew.worker1a.mobile)) == 2
    with pytest.raises(AppError):
        svc.work_order_cancel(actor=crew.dispatcher1, work_order=order, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_cancel(actor=crew.dispatcher1, work_order=order, reason="客户自行修好")
    assert "已取消" in sim.received(crew.worker1a.mobile)[-1]["body"]
    with pytest.raises(AppError):
        svc.work_order_finish(actor=crew.dispatcher1, work_order=order)


def test_isolation_on_pages_and_api(org, crew, client):
    order = make_order(org, crew)
    client.force_login(crew.dispatcher2)
    assert client.get(reverse("dispatch:detail", args=[order.pk])).status_code == 404
    assert order.number not in client.get(reverse("dispatch:list")).content.decode()
    api = APIClient()
    api.force_authenticate(crew.dispatcher2)
    assert api.get(reverse("work-order-detail", args=[order.pk])).status_code == 404
    assert api.post(reverse("work-order-assign", args=[order.pk]), {"worker": crew.worker2a.pk},
                    format="json").status_code == 404
    assert api.get(reverse("work-order-timeline", args=[order.pk])).status_code == 404
    own = APIClient()
    own.force_authenticate(crew.dispatcher1)
    bad = own.post(reverse("work-order-assign", args=[order.pk]), {"worker": crew.worker2a.pk}, format="json")
    assert bad.status_code == 400 and "worker" in bad.json()["message"]


def test_api_flow(org, crew, sim, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(crew.dispatcher1)
    created = api.post(reverse("work-order-list"), {"customer": org.customer1.pk, "problem": "漏水",
                                                    "category": "leak", "priority": "urgent"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assigned = api.post(reverse("work-order-assign", args=[pk]), {"worker": crew.worker1a.pk}, format="json")
    assert assigned.json()["status"] == "assigned"
    assert api.post(reverse("work-order-finish", args=[pk]), {"result": "已修好"}, format="json").json()["status"] \
        == "done"
    timeline = api.get(reverse("work-order-timeline", args=[pk])).json()
    kinds = [(row["type"], row["kind"]) for row in timeline]
    assert ("event", "created") in kinds and ("event", "finished") in kinds
    assert any(t == "sms" for t, _k in kinds)
    listing = api.get(reverse("work-order-list"), {"status": "done"}).json()["results"]
    assert [row["id"] for row in listing] == [pk]


def test_pages_create_assign_and_timeline(org, crew, client, sim, django_capture_on_commit_callbacks):
    client.force_login(crew.dispatcher1)
    response = client.post(reverse("dispatch:create"), {
        "account_no": org.customer1.account_no, "problem": "暖气不热", "category": "no_heat", "priority": "normal",
        "address": "", "contact_name": "", "contact_phone": ""})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dispatch:action", args=[order.pk, "assign"]), {"worker": crew.worker1a.pk})
    page = client.get(reverse("dispatch:detail", args=[order.pk])).content.decode()
    assert order.number in page and 'data-kind="sms"' in page and "师傅1a" in page
    overdue = client.get(reverse("dispatch:list"), {"overdue": "1"}).content.decode()
    assert order.number not in overdue
    assert WorkOrderEvent.objects.filter(work_order=order, kind="assigned", actor=crew.dispatcher1).exists()
