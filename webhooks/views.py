"""Inbound webhooks: verify, parse, call a service, answer.  Nothing else.

/webhooks/sms/<gateway>/status/    delivery receipts    -> messaging receipts_accept (applied in batches)
/webhooks/sms/<gateway>/inbound/   replies from phones  -> messaging inbound_receive

The signature is checked on the raw body before anything is parsed; a bad
or missing one is 403 and changes nothing.  Receipts for ids we do not know
are still answered 200 (the gateway would otherwise retry for days) and are
logged when they expire unmatched.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.gateways import GatewayError, WebhookRequest, get_gateway
from messaging.services.inbound import inbound_receive
from messaging.services.receipts import receipts_accept

log = logging.getLogger("webhooks.sms")


def _gateway(name: str):
    if name not in settings.SMS_GATEWAYS:
        raise Http404
    try:
        return get_gateway(name)
    except GatewayError as exc:  # configured but unusable (missing credentials)
        log.error("webhook for gateway %s: %s", name, exc)
        raise Http404 from exc


def _request(request) -> WebhookRequest:
    path = request.get_full_path()
    urls = tuple(dict.fromkeys([f"{settings.PUBLIC_BASE_URL}{path}", request.build_absolute_uri()]))
    return WebhookRequest(method=request.method, urls=urls, headers=request.headers, body=request.body,
                          query=request.GET.dict())


def _forbidden(name: str, kind: str, request) -> HttpResponse:
    log.warning("sms %s webhook for %s: bad or missing signature from %s", kind, name,
                request.META.get("REMOTE_ADDR"))
    return HttpResponse("invalid signature", status=403, content_type="text/plain")


def _answer(answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_POST
def sms_status(request, gateway: str):
    gw = _gateway(gateway)
    req = _request(request)
    if not gw.verify(req):
        return _forbidden(gateway, "status", request)
    receipts_accept(gateway=gateway, receipts=gw.parse_status(req))
    return _answer(gw.status_answer())


@csrf_exempt
@require_POST
def sms_inbound(request, gateway: str):
    gw = _gateway(gateway)
    req = _request(request)
    if not gw.verify(req):
        return _forbidden(gateway, "inbound", request)
    inbound_receive(gateway=gateway, items=gw.parse_inbound(req))
    return _answer(gw.inbound_answer())
