from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import AccountChange, ChangeReason, CustomerType, PaymentMethod, Season

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
MONEY = forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=12, decimal_places=2, widget=MONEY)
    method = forms.ChoiceField(label=_("payment method"),
                               choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.ONLINE])
    season = forms.ChoiceField(label=_("season"), required=False)
    paid_on = forms.DateField(label=_("paid on"), widget=DATE)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, seasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].choices = [("", _("all seasons owed, oldest first"))] + [
            (str(pk), name) for pk, name in seasons]
        self.fields["paid_on"].initial = timezone.localdate()


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("reason for the reversal"), max_length=500)


class DecisionForm(forms.Form):
    adjustment = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(label=_("note"), required=False, max_length=500)


class CorrectionForm(forms.Form):
    account_no = forms.CharField(label=_("account number"), max_length=32)
    season = forms.ModelChoiceField(label=_("season"), queryset=Season.objects.all())
    amount = forms.DecimalField(label=_("amount (yuan, negative to reduce)"), max_digits=12, decimal_places=2,
                                widget=MONEY)
    preset = forms.ModelChoiceField(label=_("preset reason"), required=False,
                                    queryset=ChangeReason.objects.filter(applies_to="correction", is_active=True))
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)

    def reason_text(self) -> str:
        preset = self.cleaned_data.get("preset")
        text = self.cleaned_data.get("reason", "").strip()
        return "：".join(x for x in (preset.name if preset else "", text) if x)


class PriceForm(forms.Form):
    season = forms.ModelChoiceField(label=_("season"), queryset=Season.objects.filter(status="open"))
    customer_type = forms.ModelChoiceField(label=_("customer type"),
                                           queryset=CustomerType.objects.filter(is_active=True))
    unit_price = forms.DecimalField(label=_("unit price (yuan/m²)"), max_digits=10, decimal_places=2,
                                    required=False, min_value=Decimal(0))
    base_price = forms.DecimalField(label=_("metered base price (yuan/m²)"), max_digits=10, decimal_places=2,
                                    required=False, min_value=Decimal(0))
    heat_price = forms.DecimalField(label=_("metered heat price (yuan/GJ)"), max_digits=10, decimal_places=2,
                                    required=False, min_value=Decimal(0))
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class HeatingChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("change"), choices=AccountChange.Kind.choices)
    effective_date = forms.DateField(label=_("effective from"), widget=DATE)
    area = forms.DecimalField(label=_("new area (m²)"), max_digits=10, decimal_places=2, required=False,
                              help_text=_("for radiators added and area changes"))
    preset = forms.ModelChoiceField(label=_("preset reason"), required=False, queryset=ChangeReason.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)

    def __init__(self, *args, season=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].queryset = ChangeReason.objects.filter(season=season, applies_to="heating",
                                                                     is_active=True)


class AdjustmentForm(forms.Form):
    category = forms.ModelChoiceField(label=_("category"), queryset=None)
    reason = forms.CharField(label=_("reason"), max_length=500)

    def __init__(self, *args, season=None, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import AdjustmentCategory

        self.fields["category"].queryset = AdjustmentCategory.objects.filter(season=season, is_active=True)


class RolloverForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=16)
    start_date = forms.DateField(label=_("heating starts"), widget=DATE)
    end_date = forms.DateField(label=_("heating ends"), widget=DATE)
    heating_days = forms.IntegerField(label=_("statutory heating days"), required=False, min_value=1)
    close_source = forms.BooleanField(label=_("close the current season"), required=False, initial=True)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)
