"""Gateways by name: settings.SMS_GATEWAYS maps a name (the one in webhook
URLs and in Message.gateway) to a dotted class path and its options;
settings.SMS_GATEWAY names the one new messages go through."""
from __future__ import annotations

import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import (GatewayError, InboundSms, OutgoingSms, Receipt, SendResult, SmsGateway, WebhookAnswer,
                   WebhookRequest)

__all__ = ["GatewayError", "InboundSms", "OutgoingSms", "Receipt", "SendResult", "SmsGateway", "WebhookAnswer",
           "WebhookRequest", "default_gateway_name", "get_gateway", "gateway_names"]

_cache: dict[str, SmsGateway] = {}
_lock = threading.Lock()


def gateway_names() -> list[str]:
    return list(settings.SMS_GATEWAYS)


def default_gateway_name() -> str:
    return settings.SMS_GATEWAY


def get_gateway(name: str | None = None) -> SmsGateway:
    """The configured gateway instance (one per process; they keep connection pools)."""
    name = name or default_gateway_name()
    gateway = _cache.get(name)
    if gateway is not None:
        return gateway
    with _lock:
        if name not in _cache:
            try:
                config = dict(settings.SMS_GATEWAYS[name])
            except KeyError:
                raise GatewayError(f"没有名为 {name} 的短信网关。", permanent=True, code="unknown_gateway") from None
            backend = import_string(config.pop("BACKEND"))
            options = {key.lower(): value for key, value in config.items()}
            _cache[name] = backend(name=name, **options)
        return _cache[name]


def reset_gateways(**kwargs) -> None:
    if kwargs.get("setting") in (None, "SMS_GATEWAYS", "SMS_GATEWAY"):
        _cache.clear()


setting_changed.connect(reset_gateways)
