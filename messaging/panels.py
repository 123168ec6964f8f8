"""The messaging section of the customer page: marketing SMS consent and recent messages."""
from django.template.loader import render_to_string


def customer_sms_panel(request, customer) -> str:
    user = request.user
    if not user.has_perm("messaging.view_message"):
        return ""
    from .selectors.messages import customer_sms_summary

    context = customer_sms_summary(actor=user, customer=customer)
    context["can_change_opt_out"] = user.has_perm("messaging.change_optout")
    context["customer"] = customer
    return render_to_string("messaging/_customer_panel.html", context, request=request)


def register_panels() -> None:
    from core_billing.panels import register_customer_panel

    register_customer_panel(customer_sms_panel, order=40)
