"""Staff permissions read from Redis: every staff page and API call asks for them, and the
database answers with two four-table joins each time (the user's own and the groups').

A user's set is stored under the current permissions version; any change to a role's
permissions, a user's roles or a user's own permissions moves the version, at once and again
when its transaction commits (a reader between the two may have stored what the database still
held), so no page serves a removed permission for longer than that transaction.  Without Redis
(the embedded run) this is Django's ModelBackend as it is."""
from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger("core_billing.auth")
VERSION_KEY = "nuanxin:perms:version"
TTL = 300


def permissions_changed(*, action: str = "", **_kwargs) -> None:
    if action.startswith("pre_"):
        return  # m2m_changed: the post_ signal follows

    def bump():
        try:
            cache.set(VERSION_KEY, uuid.uuid4().hex, None)
        except Exception:  # Redis away: the change itself must not fail; stored sets expire within TTL
            log.exception("could not move the permissions version")

    bump()
    transaction.on_commit(bump)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user = get_user_model()
    for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"nuanxin.perms.{through.__name__}")
    for model in (Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(permissions_changed, sender=model, dispatch_uid=f"nuanxin.perms.{model.__name__}")


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not settings.REDIS_URL or obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            try:
                self._from_cache(user_obj)
            except Exception:  # Redis away: pages still work, from the database
                log.warning("permissions cache unavailable", exc_info=True)
                return super().get_all_permissions(user_obj)
        return user_obj._perm_cache

    def _from_cache(self, user_obj) -> None:
        # date_joined: a new database reuses ids (a test run, a restore), never the creation instant
        key = f"nuanxin:perms:{user_obj.pk}:{user_obj.date_joined.timestamp()}:{int(user_obj.is_superuser)}"
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or _version()
        stored = found.get(key)
        if stored and stored[0] == version:
            user_obj._perm_cache = stored[1]
        else:
            perms = super().get_all_permissions(user_obj)  # sets user_obj._perm_cache
            cache.set(key, (version, perms), TTL)
