from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreBillingConfig(AppConfig):
    name = "core_billing"
    verbose_name = _("Billing core")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from .roles import sync_roles_after_migrate
        from .services.balances import register_sqlite_functions

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="nuanxin.sync_roles")
        connection_created.connect(register_sqlite_functions, dispatch_uid="nuanxin.sqlite_functions")
