"""Reading money and dates from user input, with errors that name the field."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from ..errors import AppError


def parse_money(value: Any, *, field: str, label: str, positive: bool = True, places: int = 2) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AppError(f"{label}必须是金额，例如 100.50。", field=field)
    if not amount.is_finite():
        raise AppError(f"{label}必须是金额，例如 100.50。", field=field)
    if amount.as_tuple().exponent < -places:
        raise AppError(f"{label}最多 {places} 位小数。", field=field)
    if positive and amount <= 0:
        raise AppError(f"{label}必须大于 0。", field=field)
    return amount.quantize(Decimal(1).scaleb(-places))


def parse_decimal(value: Any, *, field: str, label: str, minimum: Decimal | None = Decimal(0),
                  maximum: Decimal | None = None, places: int = 6) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AppError(f"{label}必须是数字。", field=field)
    if not number.is_finite() or number.as_tuple().exponent < -places:
        raise AppError(f"{label}必须是最多 {places} 位小数的数字。", field=field)
    if minimum is not None and number < minimum:
        raise AppError(f"{label}不能小于 {minimum}。", field=field)
    if maximum is not None and number > maximum:
        raise AppError(f"{label}不能大于 {maximum}。", field=field)
    return number


def parse_date(value: Any, *, field: str, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AppError(f"{label}须为日期，格式 YYYY-MM-DD。", field=field)


def require_reason(reason: str, *, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AppError("请填写原因。", field=field)
    return reason
