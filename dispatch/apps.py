from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Repair dispatch")

    def ready(self):
        from core_billing.navigation import register_nav
        from messaging.context import register_context_provider
        from messaging.services.inbound import register_inbound_handler

        from .inbound import handle_reply
        from .notify import values_for_targets

        register_nav(_("Work orders"), "dispatch:list", "dispatch.view_workorder", order=40)
        register_context_provider("work_order", bulk=values_for_targets, customer_fields=())
        register_inbound_handler(handle_reply, name="dispatch", order=20)
