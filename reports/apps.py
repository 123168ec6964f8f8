from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from core_billing.navigation import register_nav

        from .sources import register_builtin_sources

        register_builtin_sources()
        register_nav(_("Dashboard"), "reports:dashboard", "reports.view_dashboard", order=5)
        register_nav(_("Reports"), "reports:index", "reports.view_reports", order=30)
        register_nav(_("Delivery records"), "reports:records", "messaging.view_message", order=20)
