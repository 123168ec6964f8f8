"""The whole loop on loopback: our twilio gateway → simulator → signed callbacks → our webhook → final states."""
import pytest
import requests
from django.db import connection

from messaging.models import InboundMessage, Message, OptOut
from messaging.services.sending import Recipient, messages_create_bulk
from tests import factories as f
from tests.integration.conftest import wait_until


@pytest.fixture
def live_sim(make_sim, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url

    def make(**options):
        return make_sim(callback=f"{live_server.url}/webhooks/sms/twilio/status/",
                        inbound_url=f"{live_server.url}/webhooks/sms/twilio/inbound/", **options)
    return make


def test_receipts_come_back_through_the_webhook(org, live_sim):
    # On in-memory SQLite the live server shares the test's connection: callbacks wait until
    # sending is done, and the test only watches the simulator while they flow.
    # One callback at a time there, too: the live server's threads would share it as well.
    sim = live_sim(duplicate_rate=0.5, out_of_order_rate=0.5, delay_rate=0.2, delay_ms=300, receipt_latency_ms=40,
                   hold_callbacks=True, callback_threads=1 if connection.vendor == "sqlite" else 4)
    people = [f.customer(org.building1, name=f"住户{i}", room=f"R{i}", phones=[f"1391234{i:04d}"])
              for i in range(1, 9)]
    people.append(f.customer(org.building1, name="关机", room="R99", phones=["13912990000"]))  # ends undelivered
    messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=c) for c in people], body="明日供热")
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    sim.release_callbacks()
    wait_until(lambda: sim.pending_callbacks() == 0, timeout=30, message="every callback posted")
    assert sim.stats["callbacks_sent"] > 18 and sim.stats["callbacks_lost"] == 0  # duplicates included
    final = dict(Message.objects.values_list("phone", "status"))
    assert final.pop("+8613912990000") == "failed"
    assert set(final.values()) == {"delivered"}, list(Message.objects.values_list("phone", "status", "error_code", "error_text"))
    assert Message.objects.get(phone="+8613912990000").error_code == "30003"
    assert len(sim.received()) == 9  # each sent exactly once


def test_a_customer_replies_td_through_the_simulator(org, live_sim):
    sim = live_sim()
    response = requests.post(f"{sim.url}/sim/inbound", json={"from": org.customer1.mobile, "body": "TD"}, timeout=10)
    assert response.json()["webhook_status"] == 200
    assert OptOut.objects.get(phone=org.customer1.mobile).is_opted_out
    assert InboundMessage.objects.get().action == "opt_out"
    wait_until(lambda: any("退订" in m["body"] for m in sim.received(org.customer1.mobile)), timeout=10,
               message="the confirmation SMS on the phone")
