"""Money on pages and receipts: amounts with two places, and in Chinese capitals (大写)."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
BIG_UNITS = ("", "万", "亿", "万亿")


def _four(group: int) -> str:
    out, zero = "", False
    for size, unit in SMALL_UNITS:
        digit = group // size % 10
        if digit == 0:
            zero = zero or bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + unit
    return out


def _integer(n: int) -> str:
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = zero or bool(out)
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += _four(group) + BIG_UNITS[index]
        zero = False
    return out


def rmb_upper(amount) -> str:
    """2124.00 → 贰仟壹佰贰拾肆元整; 1000.05 → 壹仟元零伍分 (as printed on receipts)."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    sign = "负" if value < 0 else ""
    value = abs(value)
    yuan = int(value)
    cents = int((value - yuan) * 100)
    jiao, fen = divmod(cents, 10)
    out = _integer(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan and fen:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    if not cents:
        out = (out or "零元") + "整"
    return sign + out


@register.filter(name="rmb_upper")
def rmb_upper_filter(value):
    try:
        return rmb_upper(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def yuan(value):
    """Two places, thousands separated: 12,345.60."""
    try:
        return f"{Decimal(value).quantize(Decimal('0.01')):,}"
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def neg(value):
    try:
        return -Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
