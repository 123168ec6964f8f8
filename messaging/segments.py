"""SMS length rules (MSG-09): which encoding a text needs and how many parts it
is billed as.  Pure functions, no database.

A text that fits the GSM 03.38 default alphabet goes as GSM-7: 160 septets in a
single message, 153 per part once it is split (7 septets go to the UDH that
joins the parts).  Anything else (every Chinese text) goes as UCS-2: 70 UTF-16
code units single, 67 per part.  Two details carriers bill on and naive
counters get wrong: GSM extension characters (€, [, ], {, }, ...) take two
septets and their escape pair is never split across parts; a character outside
the BMP (emoji) takes two UTF-16 units and a surrogate pair is never split.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GSM7 = "gsm7"
UCS2 = "ucs2"

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7_ALL = frozenset(GSM7_BASIC | GSM7_EXTENSION)

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentInfo:
    characters: int  # what a person counts (code points)
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the limit that applied: 160/153 or 70/67

    @property
    def encoding_label(self) -> str:
        return "GSM-7" if self.encoding == GSM7 else "UCS-2"

    def cost(self, price_per_segment: Decimal) -> Decimal:
        return (Decimal(self.segments) * Decimal(price_per_segment)).quantize(Decimal("0.01"))

    def as_dict(self) -> dict:
        return {"characters": self.characters, "encoding": self.encoding_label, "units": self.units,
                "segments": self.segments, "per_segment": self.per_segment}


def is_gsm7(text: str) -> bool:
    return GSM7_ALL.issuperset(text)


def _unit_sizes(text: str, encoding: str) -> list[int]:
    """The size of each character in the encoding's units; a character is never split."""
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(sizes: list[int], per_part: int) -> int:
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts += 1
            used = 0
        used += size
    return parts


def _uniform(text: str, encoding: str) -> bool:
    """Every character one unit: no GSM-7 escape, no UCS-2 surrogate pair (the common case)."""
    if encoding == GSM7:
        return GSM7_EXTENSION.isdisjoint(text)
    return not text or max(text) <= "\uffff"


def analyze(text: str) -> SegmentInfo:
    encoding = GSM7 if is_gsm7(text) else UCS2
    single, multi = LIMITS[encoding]
    if _uniform(text, encoding):  # parts are plain slices: no need to size each character
        units = len(text)
        parts = 0 if not units else 1 if units <= single else -(-units // multi)
        return SegmentInfo(units, encoding, units, parts, single if units <= single else multi)
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= single:
        return SegmentInfo(len(text), encoding, units, 1 if text else 0, single)
    return SegmentInfo(len(text), encoding, units, _pack(sizes, multi), multi)


def split(text: str) -> list[str]:
    """The parts a phone receives (used by the simulator and tests)."""
    info = analyze(text)
    if info.segments <= 1:
        return [text] if text else []
    sizes = _unit_sizes(text, info.encoding)
    parts, current, used = [], [], 0
    for ch, size in zip(text, sizes):
        if used + size > info.per_segment:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    parts.append("".join(current))
    return parts


def compose(body: str, *, signature: str = "", opt_out_text: str = "") -> str:
    """The text as the phone shows it: 【signature】 first (the Chinese carriers'
    rule), the opt-out instruction last on marketing notices."""
    text = body.strip()
    if signature:
        text = f"【{signature}】{text}"
    if opt_out_text:
        text = f"{text}{opt_out_text}"
    return text
