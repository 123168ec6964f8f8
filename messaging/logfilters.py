"""A logging filter that blanks gateway credentials wherever they would be
logged (an exception message quoting a URL, a library's debug line)."""
import logging


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _secrets()
        if not secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in secrets:
            cleaned = cleaned.replace(secret, "***")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _secrets() -> list[str]:
    try:
        from django.conf import settings

        gateways = settings.SMS_GATEWAYS
    except Exception:  # settings not ready while logging is configured
        return []
    keys = ("AUTH_TOKEN", "ACCESS_KEY_SECRET", "CALLBACK_TOKEN")
    return [str(c[k]) for c in gateways.values() for k in keys if len(str(c.get(k) or "")) >= 6]
