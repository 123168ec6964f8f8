"""The one phone normaliser (MSG-02): every number, typed at the desk, imported
from Excel or given to the API, goes through `normalize_phone`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from .models.org import ContactKind, PhoneKind

REGION = "CN"
_SEPARATORS = re.compile(r"[\s/,，;；、|]+")
_MOBILE_TYPES = {PhoneNumberType.MOBILE}
_LANDLINE_TYPES = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP,
                   PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST, PhoneNumberType.UAN}


@dataclass(frozen=True)
class PhoneInfo:
    raw: str
    number: str  # E.164 when valid, "" otherwise
    kind: str  # PhoneKind

    @property
    def is_mobile(self) -> bool:
        return self.kind == PhoneKind.MOBILE


def clean_text(value: object) -> str:
    """Full-width digits and letters to half-width, stray and non-breaking spaces trimmed."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return " ".join(text.split())


def normalize_phone(raw: object) -> PhoneInfo:
    text = clean_text(raw)
    digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    try:
        parsed = phonenumbers.parse(digits, REGION)
    except NumberParseException:
        return PhoneInfo(raw=text, number="", kind=PhoneKind.INVALID)
    if not phonenumbers.is_valid_number(parsed):
        return PhoneInfo(raw=text, number="", kind=PhoneKind.INVALID)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    ntype = phonenumbers.number_type(parsed)
    if ntype in _MOBILE_TYPES:
        return PhoneInfo(raw=text, number=e164, kind=PhoneKind.MOBILE)
    if ntype in _LANDLINE_TYPES:
        return PhoneInfo(raw=text, number=e164, kind=PhoneKind.LANDLINE)
    return PhoneInfo(raw=text, number="", kind=PhoneKind.INVALID)


def split_phones(value: object) -> list[str]:
    """A cell or field may hold several numbers: "138 0000 0000 / 0412-5551234"."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    # Separators split numbers, but a space inside one number ("138 0000 0000") must not.
    parts = [p for p in re.split(r"[/,，;；、|]+", text) if p.strip()]
    return [clean_text(p) for p in parts]


def classify_phones(raws: list[str]) -> tuple[list[PhoneInfo], str, str]:
    """Normalised numbers (duplicates dropped), the primary mobile and the contact kind."""
    infos: list[PhoneInfo] = []
    seen: set[str] = set()
    for raw in raws:
        info = normalize_phone(raw)
        key = info.number or info.raw
        if not key or key in seen:
            continue
        seen.add(key)
        infos.append(info)
    mobile = next((i.number for i in infos if i.is_mobile), "")
    if mobile:
        kind = ContactKind.MOBILE
    elif any(i.kind == PhoneKind.LANDLINE for i in infos):
        kind = ContactKind.LANDLINE
    elif infos:
        kind = ContactKind.INVALID
    else:
        kind = ContactKind.NONE
    return infos, mobile, kind


def mask_phone(number: str) -> str:
    """+8613812345678 -> 138****5678, for logs and customer-facing pages."""
    digits = number[3:] if number.startswith("+86") else number
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
