"""Pay link codes: pure, no database.

A code is a random token (stored, unique) followed by a truncated HMAC of it
under SECRET_KEY.  `/p/` + 5 + 4 characters keeps the path at 12 characters,
short enough for an SMS; a guessed or altered code fails the HMAC check and
never reaches the database.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TOKEN_LEN = 5
SIG_LEN = 4
CODE_LEN = TOKEN_LEN + SIG_LEN
PATH_PREFIX = "/p/"


def _b62(data: bytes, length: int) -> str:
    n = int.from_bytes(data, "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(ALPHABET[r])
    return "".join(out)


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LEN))


def signature(token: str) -> str:
    digest = hmac.new(f"nuanxin.paylink:{settings.SECRET_KEY}".encode(), token.encode(), hashlib.sha256).digest()
    return _b62(digest[:8], SIG_LEN)


def code_for(token: str) -> str:
    return token + signature(token)


def token_from(code: str) -> str | None:
    """The token of a well-formed, correctly signed code; None otherwise."""
    if not isinstance(code, str) or len(code) != CODE_LEN or any(ch not in ALPHABET for ch in code):
        return None
    token, sig = code[:TOKEN_LEN], code[TOKEN_LEN:]
    return token if hmac.compare_digest(sig, signature(token)) else None


def url_for(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{PATH_PREFIX}{code_for(token)}"


# --- receipt links (the receipt SMS points here) -------------------------------------

def _receipt_sig(pk: int) -> str:
    digest = hmac.new(f"nuanxin.receipt:{settings.SECRET_KEY}".encode(), str(pk).encode(), hashlib.sha256).digest()
    return _b62(digest[:12], 12)


def receipt_code(pk: int) -> str:
    return f"{pk}-{_receipt_sig(pk)}"


def receipt_id_from(code: str) -> int | None:
    pk, _sep, sig = (code or "").partition("-")
    if not pk.isdigit() or len(pk) > 12:
        return None
    return int(pk) if hmac.compare_digest(sig, _receipt_sig(int(pk))) else None


def receipt_url(pk: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}/r/{receipt_code(pk)}"
