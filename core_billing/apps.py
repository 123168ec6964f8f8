from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreBillingConfig(AppConfig):
    name = "core_billing"
    verbose_name = _("Billing core")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import lookups  # noqa: F401  (registers the integer `in` lookup)
        from .auth_backends import connect_signals
        from .navigation import register_nav
        from .roles import sync_roles_after_migrate
        from .selectors.season_settings import connect_signals as connect_season_settings
        from .services.balances import register_sqlite_functions

        from .views.paylinks_staff import register as register_pay_panel

        register_pay_panel()
        connect_signals()
        connect_season_settings()
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="nuanxin.sync_roles")
        connection_created.connect(register_sqlite_functions, dispatch_uid="nuanxin.sqlite_functions")
        register_nav(_("Desk"), "billing:desk", "core_billing.view_seasonaccount", order=10)
        register_nav(_("Approvals"), "billing:approvals", "core_billing.approve_adjustment", order=20)
        register_nav(_("Corrections"), "billing:corrections", "core_billing.correct_ledger", order=21)
        register_nav(_("Prices"), "billing:prices", "core_billing.change_tariff", order=22)
        register_nav(_("Fee calculator"), "billing:quote", "core_billing.quote_fees", order=23)
        register_nav(_("Seasons"), "billing:seasons", "core_billing.view_season", order=24)
