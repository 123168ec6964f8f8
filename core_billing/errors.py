"""The one application error that services raise and the API turns into {"message", "extra"}."""
from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A problem the user can fix: bad input, a forbidden action, a stale state.

    `field` names the input at fault, `extra` carries anything a client may
    show (row numbers, allowed values).
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None,
                 code: str = "invalid"):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code
        self.extra = dict(extra or {})
        if field:
            self.extra.setdefault("field", field)

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "extra": self.extra}


class PermissionDeniedError(AppError):
    status_code = 403

    def __init__(self, message: str, **kwargs):
        super().__init__(message, code="permission_denied", **kwargs)


class LockedOutError(AppError):
    status_code = 429

    def __init__(self):
        super().__init__("登录失败次数过多，账号已暂时锁定，请稍后再试。", code="locked_out")
