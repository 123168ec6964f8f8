"""Filter forms of the reports: one per report, shared by its page, its API
endpoint and its export (a background export stores the raw parameters and
re-checks them, as the exporting user, when the worker runs it).

Every choice of an object is limited to what the user can see, so another
station's id is "not a valid choice", the same answer as an id that does not
exist.  `kwargs()` gives the selector's keyword arguments; `summary()` the
filter as people read it (export list, audit log)."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core_billing.errors import AppError
from core_billing.models import (Building, Community, CustomerType, ExchangeStation, HeatingStatus, PaymentMethod,
                                 Season, Station, User)
from core_billing.roles import Role
from messaging.models import Topic
from messaging.views.forms import RecordFilterForm


def as_querydict(params) -> QueryDict:
    """A QueryDict from request.GET, a JSON object (lists for several values) or stored params."""
    if isinstance(params, QueryDict):
        return params
    data = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        if value is None or value == "":
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        data.setlist(str(key), [str(v).lower() if isinstance(v, bool) else str(v) for v in values])
    return data


def stored_params(data: QueryDict, form: "ReportFilterForm") -> dict:
    """The parameters worth keeping (the form's fields, non-empty), lists kept as lists."""
    out = {}
    for name in form.fields:
        values = [v for v in data.getlist(name) if v != ""]
        if values:
            several = isinstance(form.fields[name], (forms.MultipleChoiceField, forms.ModelMultipleChoiceField))
            out[name] = values if several else values[0]
    return out


class ReportFilterForm(forms.Form):
    def __init__(self, data=None, *, actor, **kwargs):
        super().__init__(as_querydict(data) if data is not None else None, **kwargs)
        self.actor = actor
        self.setup(actor)

    def setup(self, actor) -> None:
        """Limit the choices to what `actor` sees."""

    def clean_or_error(self) -> dict:
        """The cleaned filter, or an AppError naming the field."""
        if not self.is_bound:
            self.is_bound = True
            self.data = QueryDict()
        if self.is_valid():
            return self.cleaned_data
        field, errors = next(iter(self.errors.items()))
        label = self.fields[field].label if field in self.fields else ""
        message = f"{label}: {errors[0]}" if label else str(errors[0])
        raise AppError(message, field=None if field == "__all__" else field,
                       extra={"errors": {k: [str(e) for e in v] for k, v in self.errors.items()}})

    def kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])
                and not (hasattr(v, "exists") and not v)}

    def summary(self) -> str:
        parts = []
        for name, value in self.kwargs().items():
            field = self.fields[name]
            if hasattr(value, "__iter__") and not isinstance(value, str):
                shown = "、".join(self._label(field, v) for v in value)
            else:
                shown = self._label(field, value)
            parts.append(f"{field.label}：{shown}")
        return "；".join(parts)[:500]

    @staticmethod
    def _label(field, value) -> str:
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            return str(dict(field.choices).get(value, value))
        if isinstance(value, User):
            return value.display_name
        return str(value)


def _collectors(actor):
    return User.objects.visible_to(actor).with_role(Role.COLLECTOR).order_by("username")


class CollectionFilterForm(ReportFilterForm):
    GROUPS = [("station", _("by station")), ("community", _("by community")), ("collector", _("by collector")),
              ("season", _("by season"))]

    group_by = forms.ChoiceField(label=_("group by"), choices=GROUPS, required=False)
    season = forms.ModelChoiceField(label=_("heating season"), queryset=Season.objects.all(), required=False,
                                    empty_label=_("current season"))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("all"))

    def setup(self, actor):
        self.fields["station"].queryset = Station.objects.visible_to(actor)

    def clean(self):
        data = super().clean()
        data["group_by"] = data.get("group_by") or "station"
        return data


class ArrearsFilterForm(ReportFilterForm):
    """The audience criteria of CMP-01: several values within a criterion, criteria combined."""

    ORDERS = [("amount", _("largest arrears first")), ("address", _("by address"))]

    station = forms.ModelMultipleChoiceField(label=_("heating station"), queryset=Station.objects.none(),
                                             required=False)
    exchange_station = forms.ModelMultipleChoiceField(label=_("exchange station"),
                                                      queryset=ExchangeStation.objects.none(), required=False)
    community = forms.ModelMultipleChoiceField(label=_("community"), queryset=Community.objects.none(),
                                               required=False)
    building = forms.ModelMultipleChoiceField(label=_("building"), queryset=Building.objects.none(), required=False)
    unit = forms.TypedMultipleChoiceField(label=_("unit"), coerce=int, required=False,
                                          choices=[(n, n) for n in range(1, 41)])
    customer_type = forms.ModelMultipleChoiceField(label=_("customer type"), queryset=CustomerType.objects.all(),
                                                   required=False)
    heating_status = forms.MultipleChoiceField(label=_("heating status"), choices=HeatingStatus.choices,
                                               required=False)
    collector = forms.ModelMultipleChoiceField(label=_("collector"), queryset=User.objects.none(), required=False)
    min_seasons = forms.IntegerField(label=_("seasons in arrears at least"), min_value=1, max_value=50,
                                     required=False)
    min_amount = forms.DecimalField(label=_("arrears from (yuan)"), min_value=Decimal("0"), max_digits=12,
                                    decimal_places=2, required=False)
    max_amount = forms.DecimalField(label=_("arrears up to (yuan)"), min_value=Decimal("0"), max_digits=12,
                                    decimal_places=2, required=False)
    order = forms.ChoiceField(label=_("order"), choices=ORDERS, required=False)

    def setup(self, actor):
        self.fields["station"].queryset = Station.objects.visible_to(actor)
        self.fields["exchange_station"].queryset = ExchangeStation.objects.visible_to(actor)
        self.fields["community"].queryset = Community.objects.visible_to(actor)
        self.fields["building"].queryset = Building.objects.visible_to(actor).select_related("community")
        self.fields["collector"].queryset = _collectors(actor)

    def clean(self):
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", _("must not be below the lower bound"))
        return data


class CashFilterForm(ReportFilterForm):
    date_from = forms.DateField(label=_("from date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("all"))
    collector = forms.ModelChoiceField(label=_("collector"), queryset=User.objects.none(), required=False,
                                       empty_label=_("all"))
    method = forms.ChoiceField(label=_("payment method"), choices=[("", _("all")), *PaymentMethod.choices],
                               required=False)

    MAX_DAYS = 366

    def setup(self, actor):
        self.fields["station"].queryset = Station.objects.visible_to(actor)
        self.fields["collector"].queryset = _collectors(actor)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start, end = data.get("date_from"), data.get("date_to")
        start = start or end or today
        end = end or (start if data.get("date_from") else today)
        if end < start:
            self.add_error("date_to", _("must not be before the start date"))
        elif (end - start).days >= self.MAX_DAYS:
            self.add_error("date_to", _("at most one year at a time"))
        data["date_from"], data["date_to"] = start, end
        return data


class JurisdictionFilterForm(ReportFilterForm):
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("all"))
    collector = forms.ModelChoiceField(label=_("collector"), queryset=User.objects.none(), required=False,
                                       empty_label=_("all"))

    def setup(self, actor):
        self.fields["station"].queryset = Station.objects.visible_to(actor)
        self.fields["collector"].queryset = _collectors(actor)


class CampaignOutcomeFilterForm(ReportFilterForm):
    GROUPS = [("campaign", _("per campaign")), ("topic", _("per topic and season"))]

    group_by = forms.ChoiceField(label=_("group by"), choices=GROUPS, required=False)
    season = forms.CharField(label=_("heating season"), max_length=16, required=False)
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none(), required=False,
                                   empty_label=_("all"))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("all"))

    def setup(self, actor):
        self.fields["topic"].queryset = Topic.objects.visible_to(actor)
        self.fields["station"].queryset = Station.objects.visible_to(actor)


class MessageRecordFilterForm(ReportFilterForm, RecordFilterForm):
    """Delivery records (MSG-05, RPT-01): the records page, its export and the
    API's export all take this filter; its kwargs() are message_list's."""

    def setup(self, actor):
        self.limit_choices(actor)

