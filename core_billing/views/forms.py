from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Building, Customer, CustomerType, Station
from ..phones import split_phones
from ..scoping import is_head_office

EDIT_FIELDS = ["name", "building", "unit", "room", "customer_type", "area", "heating_status", "metering_mode",
               "note", "is_active"]


class CustomerEditForm(forms.ModelForm):
    phones = forms.CharField(label=_("phones"), required=False, max_length=200,
                             help_text=_("Several numbers separated by / ; mobiles receive SMS."))
    reason = forms.CharField(label=_("reason for the change"), max_length=500)
    effective_date = forms.DateField(
        label=_("area or heating status effective from"), required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("A new area or heating status bills the current season from this date (default today)."))

    class Meta:
        model = Customer
        fields = EDIT_FIELDS

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.visible_to(actor).select_related("community")
        self.fields["customer_type"].queryset = CustomerType.objects.filter(is_active=True)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDIT_FIELDS if name in self.changed_data}

    def phone_list(self) -> list[str]:
        return split_phones(self.cleaned_data.get("phones", ""))

    def _post_clean(self):
        # The service validates and saves; the form must not touch the instance.
        pass


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if is_head_office(actor):
            self.fields["station"].queryset = Station.objects.visible_to(actor)
            self.fields["station"].required = True
        else:
            del self.fields["station"]
