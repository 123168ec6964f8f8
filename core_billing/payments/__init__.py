"""Payment providers behind one interface, chosen by name from settings.PAYMENT_PROVIDERS
(a dotted BACKEND path and its options), like Django's email backends.

    provider = get_provider("alipay")
    url = provider.start(order, ctx)                 # where to send the customer (may call the provider's API)
    note = provider.parse_notification(request)      # verified on the raw body, or InvalidNotification
    answer = provider.answer(ok)                     # what the provider expects back
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (Answer, CheckoutContext, InvalidNotification, Notification, NotifyRequest, PaymentProvider,
                   ProviderError)

__all__ = ["Answer", "CheckoutContext", "InvalidNotification", "Notification", "NotifyRequest", "PaymentProvider",
           "ProviderError", "get_provider", "offered_providers"]


def get_provider(name: str) -> PaymentProvider:
    options = settings.PAYMENT_PROVIDERS.get(name)
    if options is None:
        raise ProviderError(f"未配置的支付渠道：{name}")
    cls = import_string(options["BACKEND"])
    return cls(name, options)


def offered_providers() -> list[PaymentProvider]:
    out = []
    for name in settings.PAYMENT_PROVIDERS_OFFERED:
        try:
            provider = get_provider(name)
        except ProviderError:
            continue
        if provider.is_configured():
            out.append(provider)
    return out
