"""Log hygiene: phone numbers masked in every record, JSON lines on request.

Names are never put in log messages by our code (ids instead); phone numbers
can slip in through third-party messages and exceptions, so a filter masks
anything that looks like a mainland mobile before any handler writes it."""
from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)(\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    return _PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)


class MaskPhonesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                return True
            record.args = None
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        return True
