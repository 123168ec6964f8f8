"""SMS fixtures for every app: the simulator on loopback, gateway settings pointing at it (see tests/conftest.py)."""
from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings

from messaging.context import register_context_provider, unregister_context_provider
from messaging.simulator import SimulatorConfig, SmsSimulator


def point_twilio_at(settings, url: str, *, callback: str = "", rate: float = 0, **extra) -> None:
    gateways = copy.deepcopy(django_settings.SMS_GATEWAYS)
    gateways["twilio"].update({"API_BASE": url, "STATUS_CALLBACK": callback, "RATE": rate, **extra})
    settings.SMS_GATEWAYS = gateways
    settings.SMS_GATEWAY = "twilio"


@pytest.fixture
def make_sim(settings):
    """make_sim(**SimulatorConfig fields) starts a simulator on a free loopback port and points the twilio gateway at it."""
    started = []

    def make(*, callback: str = "", gateway_rate: float = 0, **options) -> SmsSimulator:
        config = SimulatorConfig(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN,
                                 port=0, **{"rate": 0, "receipt_latency_ms": 30, "seed": 7, **options})
        sim = SmsSimulator(config).start()
        started.append(sim)
        point_twilio_at(settings, sim.url, callback=callback, rate=gateway_rate)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim):
    return make_sim()


@pytest.fixture
def billing_provider():
    """Fixed billing values in place of the real provider (messaging/providers.py), restored afterwards."""
    from messaging import context

    real = context._providers.get("billing")

    def provide(target):
        return {"season": target.season or "2025-2026", "unit_price": "25.00", "amount_due": "2212.50",
                "late_fee": "0.00", "total_owed": "2212.50", "arrears_seasons": 1}

    register_context_provider("billing", provide)
    yield provide
    unregister_context_provider("billing")
    if real is not None:
        context._providers["billing"] = real


@pytest.fixture
def without_provider():
    """without_provider(name): unregister a context provider for one test."""
    from messaging import context

    taken = {}

    def remove(name):
        taken[name] = context._providers.pop(name, None)

    yield remove
    for name, provider in taken.items():
        if provider is not None:
            context._providers[name] = provider
