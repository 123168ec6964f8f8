from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.models import Building, Community, CustomerType, ExchangeStation, Season, Station, User
from core_billing.models.org import HeatingStatus
from core_billing.roles import Role
from core_billing.scoping import is_head_office
from messaging.models import Topic
from messaging.views.forms import RecordFilterForm

from ..models import Audience
from ..services._common import CUSTOMER_KINDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MULTI = {"size": 4}


class CriteriaForm(forms.Form):
    """The audience criteria; every choice lists only what the actor's stations hold."""

    stations = forms.ModelMultipleChoiceField(label=_("heating stations"), queryset=Station.objects.none(),
                                              required=False, widget=forms.SelectMultiple(attrs=MULTI))
    exchange_stations = forms.ModelMultipleChoiceField(label=_("exchange stations"),
                                                       queryset=ExchangeStation.objects.none(), required=False,
                                                       widget=forms.SelectMultiple(attrs=MULTI))
    communities = forms.ModelMultipleChoiceField(label=_("communities"), queryset=Community.objects.none(),
                                                 required=False, widget=forms.SelectMultiple(attrs=MULTI))
    buildings = forms.ModelMultipleChoiceField(label=_("buildings"), queryset=Building.objects.none(),
                                               required=False, widget=forms.SelectMultiple(attrs=MULTI))
    units = forms.CharField(label=pgettext_lazy("audience", "units"), required=False, max_length=100,
                            help_text=_("Unit numbers separated by commas, e.g. 1,2"))
    customer_types = forms.ModelMultipleChoiceField(label=_("customer types"), queryset=CustomerType.objects.none(),
                                                    required=False, widget=forms.SelectMultiple(attrs=MULTI))
    heating_statuses = forms.MultipleChoiceField(label=_("heating status"), choices=HeatingStatus.choices,
                                                 required=False, widget=forms.SelectMultiple(attrs=MULTI))
    collectors = forms.ModelMultipleChoiceField(label=_("collectors"), queryset=User.objects.none(), required=False,
                                                widget=forms.SelectMultiple(attrs=MULTI))
    arrears_seasons_min = forms.IntegerField(label=_("seasons in arrears at least"), min_value=0, required=False)
    arrears_min = forms.DecimalField(label=_("amount owed from"), min_value=0, required=False, decimal_places=2)
    arrears_max = forms.DecimalField(label=_("amount owed up to"), min_value=0, required=False, decimal_places=2)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        f = self.fields
        if is_head_office(actor):
            f["stations"].queryset = Station.objects.visible_to(actor)
        else:
            del f["stations"]
        f["exchange_stations"].queryset = ExchangeStation.objects.visible_to(actor)
        f["communities"].queryset = Community.objects.visible_to(actor)
        f["buildings"].queryset = Building.objects.visible_to(actor).select_related("community")
        f["customer_types"].queryset = CustomerType.objects.filter(is_active=True)
        f["collectors"].queryset = User.objects.visible_to(actor).with_role(Role.COLLECTOR)

    def clean_units(self):
        text = self.cleaned_data["units"].replace("，", ",").strip()
        if not text:
            return []
        try:
            return sorted({int(part) for part in text.split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError(_("Unit numbers are whole numbers separated by commas.")) from None

    def criteria(self) -> dict:
        d = self.cleaned_data
        out = {}
        for key in ("stations", "exchange_stations", "communities", "buildings", "customer_types", "collectors"):
            if d.get(key):
                out[key] = [o.pk for o in d[key]]
        for key in ("units", "heating_statuses"):
            if d.get(key):
                out[key] = list(d[key])
        if d.get("arrears_seasons_min"):
            out["arrears_seasons_min"] = d["arrears_seasons_min"]
        for key in ("arrears_min", "arrears_max"):
            if d.get(key) is not None:
                out[key] = str(d[key])
        return out

    @staticmethod
    def initial_from(filters: dict) -> dict:
        initial = dict(filters)
        if filters.get("units"):
            initial["units"] = ",".join(str(u) for u in filters["units"])
        return initial


def _topics(actor):
    return Topic.objects.visible_to(actor).filter(is_active=True, kind__in=CUSTOMER_KINDS)


def _seasons():
    return [(s.name, s.name) for s in Season.objects.order_by("-start_date")]


class SendRulesForm(forms.Form):
    """Which topic, season and no-repeat mode the preview counts for."""

    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none(), required=False)
    season = forms.ChoiceField(label=_("heating season"), choices=(), required=False)
    no_repeat = forms.BooleanField(label=_("no-repeat mode"), required=False, initial=True,
                                   help_text=_("Skip customers already sent this season and topic."))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics(actor)
        self.fields["season"].choices = _seasons()
        current = Season.objects.filter(is_current=True).first()
        if current:
            self.fields["season"].initial = current.name


class AudienceForm(CriteriaForm):
    name = forms.CharField(label=_("audience name"), max_length=64)
    field_order = ["name"]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("campaign name"), max_length=100, required=False)
    audience = forms.ModelChoiceField(label=_("audience"), queryset=Audience.objects.none())
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none())
    season = forms.ChoiceField(label=_("heating season"), choices=())
    no_repeat = forms.BooleanField(label=_("no-repeat mode"), required=False, initial=True,
                                   help_text=_("Skip customers already sent this season and topic."))
    send_at = forms.DateTimeField(label=_("send at"), required=False, widget=DATETIME,
                                  input_formats=["%Y-%m-%dT%H:%M"], help_text=_("Empty: send now."))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].queryset = Audience.objects.visible_to(actor)
        self.fields["topic"].queryset = _topics(actor)
        self.fields["season"].choices = _seasons()
        current = Season.objects.filter(is_current=True).first()
        if current:
            self.fields["season"].initial = current.name


class DunningSchemeForm(forms.Form):
    name = forms.CharField(label=_("scheme name"), max_length=64)
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none())
    audience = forms.ModelChoiceField(label=_("audience"), queryset=Audience.objects.none(), required=False,
                                      help_text=_("Empty: every customer still owing."))
    season = forms.ChoiceField(label=_("heating season"), choices=())
    start_date = forms.DateField(label=_("first run"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("last run by"), widget=forms.DateInput(attrs={"type": "date"}))
    every_days = forms.IntegerField(label=_("every (days)"), min_value=1, max_value=365, initial=15)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics(actor)
        self.fields["audience"].queryset = Audience.objects.visible_to(actor)
        self.fields["season"].choices = _seasons()


class ResendFilterForm(RecordFilterForm):
    """The records page's filter; status is always "failed" here."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_choices(actor)
        del self.fields["status"]
        self.fields["campaign"].widget = forms.HiddenInput()

    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
