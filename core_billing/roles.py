"""Roles are Django groups; each app says in its own `roles.py` which
permissions each role gets (`ROLE_PERMISSIONS`), and `sync_roles` gathers them
after every migrate, so upper layers add permissions without core knowing them.
"""
from __future__ import annotations

import importlib

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("collector")
    CUSTOMER_SERVICE = "customer_service", _("customer service")
    DISPATCHER = "dispatcher", _("dispatcher")
    SUPERVISOR = "supervisor", _("supervisor / accountant")
    MANAGER = "manager", _("manager")
    ADMINISTRATOR = "administrator", _("administrator")


ALL = "*"  # every permission of the project's apps

_ORG_VIEW = [
    "core_billing.view_station",
    "core_billing.view_exchangestation",
    "core_billing.view_community",
    "core_billing.view_building",
    "core_billing.view_customertype",
    "core_billing.view_customer",
    "core_billing.view_collectorassignment",
]

_BILLING_VIEW = [
    "core_billing.view_season",
    "core_billing.view_tariff",
    "core_billing.view_discounttier",
    "core_billing.view_adjustmentcategory",
    "core_billing.view_changereason",
    "core_billing.view_seasonaccount",
    "core_billing.view_ledgerentry",
    "core_billing.view_receipt",
    "core_billing.view_accountchange",
    "core_billing.view_adjustment",
    "core_billing.view_paylink",
    "core_billing.view_onlineorder",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COLLECTOR: [*_ORG_VIEW, *_BILLING_VIEW, "core_billing.take_payment"],
    Role.CUSTOMER_SERVICE: [*_ORG_VIEW, *_BILLING_VIEW, "core_billing.change_customer", "core_billing.view_auditlog",
                            "core_billing.change_heating"],
    Role.DISPATCHER: [*_ORG_VIEW],
    Role.SUPERVISOR: [
        *_ORG_VIEW,
        *_BILLING_VIEW,
        "core_billing.add_customer",
        "core_billing.change_customer",
        "core_billing.view_auditlog",
        "core_billing.add_importjob",
        "core_billing.view_importjob",
        "core_billing.add_collectorassignment",
        "core_billing.delete_collectorassignment",
        "core_billing.take_payment",
        "core_billing.reverse_payment",
        "core_billing.grant_adjustment",
        "core_billing.approve_adjustment",
        "core_billing.correct_ledger",
        "core_billing.change_heating",
        "core_billing.record_meter_reading",
        "core_billing.quote_fees",
        "core_billing.view_pricechange",
    ],
    Role.MANAGER: [*_ORG_VIEW, *_BILLING_VIEW, "core_billing.view_auditlog", "core_billing.view_pricechange",
                   "core_billing.quote_fees"],
    Role.ADMINISTRATOR: [ALL],
}

PROJECT_APPS = ("core_billing", "messaging", "campaigns", "dispatch", "reports", "webhooks")


def collected_role_permissions() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {role.value: set() for role in Role}
    for app_label in PROJECT_APPS:
        if not apps.is_installed(app_label):
            continue
        try:
            module = importlib.import_module(f"{app_label}.roles")
        except ModuleNotFoundError:
            continue
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged[str(role)].update(perms)
    return merged


def sync_roles(using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    # every permission in one query, not one per role's permission (that was ~200 queries a sync)
    by_name = {f"{app_label}.{codename}": pk for pk, app_label, codename in Permission.objects.using(using)
               .values_list("pk", "content_type__app_label", "codename")}
    # ALL: the project's and auth's permissions, but nobody edits or deletes the audit trail
    every = [pk for dotted, pk in by_name.items() if dotted.split(".", 1)[0] in PROJECT_APPS + ("auth",)
             and dotted.split(".", 1)[1] not in ("delete_auditlog", "change_auditlog")]
    for role, wanted in collected_role_permissions().items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        if ALL in wanted:
            group.permissions.set(every)
            continue
        unknown = sorted(wanted - by_name.keys())
        if unknown:
            raise LookupError(f"role {role}: unknown permission {unknown[0]}")
        group.permissions.set([by_name[dotted] for dotted in sorted(wanted)])


def sync_roles_after_migrate(sender, using="default", **kwargs):
    # Run once, after the last project app has migrated (its permissions exist then).
    if getattr(sender, "label", None) != "webhooks":
        return
    sync_roles(using=using)
