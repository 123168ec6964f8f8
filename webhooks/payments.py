"""Payment notifications: /webhooks/pay/<provider>/notify/.  Verify, parse, call a service, answer.

The provider checks the raw body (signature, timestamp); a notification that
fails is refused and changes nothing.  core_billing's online_payment_confirm
checks the order and amount and records the payment exactly once; unknown
orders are logged there and answered as received, so the provider stops
retrying; a wrong amount is answered as a failure.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core_billing.payments import InvalidNotification, NotifyRequest, ProviderError, get_provider
from core_billing.services.online import online_payment_confirm

log = logging.getLogger("webhooks.pay")


def _answer(answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_POST
def pay_notify(request, provider: str):
    if provider not in settings.PAYMENT_PROVIDERS:
        raise Http404
    try:
        backend = get_provider(provider)
    except ProviderError as exc:
        raise Http404 from exc
    if not backend.is_configured():
        log.error("payment notification for %s, which is not configured", provider)
        raise Http404
    try:
        notification = backend.parse_notification(NotifyRequest(headers=request.headers, body=request.body,
                                                                content_type=request.content_type or ""))
    except InvalidNotification as exc:
        log.warning("payment notification for %s refused (%s) from %s", provider, exc,
                    request.META.get("REMOTE_ADDR"))
        return _answer(backend.refused())
    result = online_payment_confirm(provider=provider, notification=notification)
    return _answer(backend.answer(result.accepted))
