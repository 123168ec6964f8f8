from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.models import Customer, Station
from core_billing.scoping import is_head_office

from ..models import RepairWorker, WorkOrderCategory
from ..models.work_orders import Priority

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class WorkOrderForm(forms.Form):
    account_no = forms.CharField(label=_("customer account (optional)"), required=False, max_length=32,
                                 help_text=_("Fills in the address, name and phone from the registry."))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False)
    address = forms.CharField(label=_("address"), required=False, max_length=200)
    contact_name = forms.CharField(label=pgettext_lazy("work order", "contact"), required=False, max_length=64)
    contact_phone = forms.CharField(label=_("contact phone"), required=False, max_length=32)
    problem = forms.CharField(label=_("problem"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=pgettext_lazy("work order", "category"), choices=WorkOrderCategory.choices)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    appointment_start = forms.DateTimeField(label=_("appointment from"), required=False, widget=DATETIME,
                                            input_formats=["%Y-%m-%dT%H:%M"])
    appointment_end = forms.DateTimeField(label=_("appointment until"), required=False, widget=DATETIME,
                                          input_formats=["%Y-%m-%dT%H:%M"])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if is_head_office(actor):
            self.fields["station"].queryset = Station.objects.visible_to(actor)
        else:
            del self.fields["station"]

    def clean_account_no(self):
        account = self.cleaned_data["account_no"].strip()
        if not account:
            return None
        customer = Customer.objects.visible_to(self.actor).filter(account_no=account).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this account number."))
        return customer


class AssignForm(forms.Form):
    worker = forms.ModelChoiceField(label=_("repair worker"), queryset=RepairWorker.objects.none())
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, order, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = RepairWorker.objects.visible_to(actor).filter(
            station_id=order.station_id, is_active=True).select_related("user")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class ResultForm(forms.Form):
    result = forms.CharField(label=_("result"), required=False, max_length=500)
