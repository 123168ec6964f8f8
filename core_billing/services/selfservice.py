"""Customer self-service: look up one's own bills with the account number and
a code texted to the customer's primary mobile (PLT-01).

    selfservice_code_request(*, account_no, ip) -> CodeSent
    selfservice_code_verify(*, account_no, code, ip) -> Customer

Codes are six digits, stored only as an HMAC in the cache, expire after
SELF_SERVICE_CODE_TTL seconds and allow SELF_SERVICE_CODE_ATTEMPTS tries.
Requests are rate-limited per phone and per client address (the cache is
Redis when configured, so the limits hold across web nodes).  Whether an
account number exists is never revealed: an unknown one is answered like a
known one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from ..errors import AppError
from ..models import Customer
from ..signals import send_on_commit, verification_code_requested

PREFIX = "selfservice"


class RateLimited(AppError):
    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, code="rate_limited", extra={"retry_after": retry_after})
        self.retry_after = retry_after


@dataclass
class CodeSent:
    masked_phone: str  # "138****8001", or "" when nothing was sent (unknown account, no mobile)


def _digest(value: str) -> str:
    return hmac.new(f"nuanxin.selfservice:{settings.SECRET_KEY}".encode(), value.encode(), hashlib.sha256).hexdigest()


def _key(*parts) -> str:
    return ":".join([PREFIX, *(_digest(str(p))[:32] for p in parts)])


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one request in a fixed window; False when over the limit."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def mask_phone(phone: str) -> str:
    digits = phone[-11:] if phone.startswith("+86") else phone
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def _customer(account_no: str) -> Customer | None:
    account_no = (account_no or "").strip()
    if not account_no or len(account_no) > 32:
        return None
    return Customer.objects.filter(account_no=account_no, is_active=True).first()


def selfservice_code_request(*, account_no: str, ip: str) -> CodeSent:
    if not _hit(_key("ip", ip), settings.SELF_SERVICE_REQUESTS_PER_IP_HOUR, 3600):
        raise RateLimited("请求过于频繁，请一小时后再试。", 3600)
    customer = _customer(account_no)
    if customer is None or not customer.mobile:
        return CodeSent("")
    phone = customer.mobile
    if not cache.add(_key("interval", phone), 1, timeout=settings.SELF_SERVICE_CODE_INTERVAL):
        raise RateLimited(f"验证码已发送，请 {settings.SELF_SERVICE_CODE_INTERVAL} 秒后再试。",
                          settings.SELF_SERVICE_CODE_INTERVAL)
    if not _hit(_key("phone", phone), settings.SELF_SERVICE_CODES_PER_PHONE_HOUR, 3600):
        raise RateLimited("该手机号获取验证码次数过多，请一小时后再试。", 3600)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    cache.set(_key("code", customer.pk), {"hash": _digest(f"{customer.pk}:{code}"), "attempts": 0,
                                         "expires": time.time() + settings.SELF_SERVICE_CODE_TTL},
              timeout=settings.SELF_SERVICE_CODE_TTL)
    send_on_commit(verification_code_requested, customer_id=customer.pk, station_id=customer.station_id,
                   phone=phone, code=code, minutes=max(1, settings.SELF_SERVICE_CODE_TTL // 60))
    return CodeSent(mask_phone(phone))


def selfservice_code_verify(*, account_no: str, code: str, ip: str) -> Customer:
    wrong = AppError("户号或验证码不正确，或验证码已过期。", field="code")
    if not _hit(_key("verify-ip", ip), settings.SELF_SERVICE_REQUESTS_PER_IP_HOUR * 3, 3600):
        raise RateLimited("尝试次数过多，请一小时后再试。", 3600)
    customer = _customer(account_no)
    if customer is None:
        raise wrong
    key = _key("code", customer.pk)
    stored = cache.get(key)
    if not stored or stored["expires"] < time.time():
        raise wrong
    stored["attempts"] += 1
    if stored["attempts"] > settings.SELF_SERVICE_CODE_ATTEMPTS:
        cache.delete(key)
        raise AppError("验证码错误次数过多，请重新获取。", field="code", code="too_many_attempts")
    if not hmac.compare_digest(stored["hash"], _digest(f"{customer.pk}:{(code or '').strip()}")):
        cache.set(key, stored, timeout=max(1, int(stored["expires"] - time.time())))
        raise wrong
    cache.delete(key)
    return customer
