from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.models import Station, User
from core_billing.roles import Role
from core_billing.scoping import is_head_office

from ..models import MessageStatus, Topic, TopicKind


class TopicForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=64)
    kind = forms.ChoiceField(label=_("kind"), choices=TopicKind.choices)
    is_marketing = forms.BooleanField(label=_("marketing notice"), required=False,
                                      help_text=_("Adds the opt-out text; not sent to numbers that opted out."))
    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("Company-wide (all stations)"))
    body = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 5, "id": "id_body"}),
                           help_text=_("Placeholders like {{ customer_name }} or {{ 客户名称 }} are filled per recipient."))
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    reason = forms.CharField(label=_("reason for the change"), max_length=500, required=False)

    def __init__(self, *args, actor, topic: Topic | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if is_head_office(actor) and topic is None:
            self.fields["station"].queryset = Station.objects.visible_to(actor)
        else:
            del self.fields["station"]
        if topic is None:
            del self.fields["reason"]


class PreviewForm(forms.Form):
    body = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=TopicKind.choices, required=False)
    is_marketing = forms.BooleanField(required=False)
    topic = forms.IntegerField(required=False)
    customer = forms.CharField(required=False, max_length=32)
    season = forms.CharField(required=False, max_length=16)


class SendOneForm(forms.Form):
    customer = forms.CharField(label=_("customer account number"), max_length=32, required=False)
    phone = forms.CharField(label=_("or a mobile number"), max_length=32, required=False)
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none(), required=False,
                                   empty_label=_("(write the text below)"))
    body = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    season = forms.CharField(label=_("heating season"), max_length=16, required=False,
                             help_text=_("e.g. 2025-2026"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.visible_to(actor).active().exclude(
            kind__in=[TopicKind.INTERNAL, TopicKind.WORK_ORDER])

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("phone"):
            raise forms.ValidationError(_("Give a customer or a mobile number."))
        if not data.get("topic") and not (data.get("body") or "").strip():
            raise forms.ValidationError(_("Choose a topic or write the text."))
        return data


class StaffSendForm(forms.Form):
    stations = forms.ModelMultipleChoiceField(label=_("heating stations"), queryset=Station.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    roles = forms.MultipleChoiceField(label=_("roles"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    users = forms.ModelMultipleChoiceField(label=_("or these people"), queryset=User.objects.none(), required=False)
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none(), required=False,
                                   empty_label=_("(write the text below)"))
    body = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                           help_text=_("{{ staff_name }} is replaced by each person's name."))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if is_head_office(actor):
            self.fields["stations"].queryset = Station.objects.visible_to(actor)
        else:
            del self.fields["stations"]
        self.fields["users"].queryset = User.objects.visible_to(actor).filter(is_active=True).order_by("username")
        self.fields["topic"].queryset = Topic.objects.visible_to(actor).active().filter(kind=TopicKind.INTERNAL)

    def clean(self):
        data = super().clean()
        if not data.get("topic") and not (data.get("body") or "").strip():
            raise forms.ValidationError(_("Choose a topic or write the text."))
        return data


class RecordFilterForm(forms.Form):
    """The record query's filter (MSG-05): its cleaned values are message_list's
    keyword arguments.  The records page and its export (reports) and the
    resend of failures (campaigns) all build on it, so they agree on what
    "the current query" means."""

    station = forms.ModelChoiceField(label=_("heating station"), queryset=Station.objects.none(), required=False,
                                     empty_label=_("all"))
    status = forms.ChoiceField(label=_("status"), choices=[("", _("all")), *MessageStatus.choices], required=False)
    phone = forms.CharField(label=pgettext_lazy("sms", "phone"), max_length=32, required=False)
    season = forms.CharField(label=_("heating season"), max_length=16, required=False)
    topic = forms.ModelChoiceField(label=_("topic"), queryset=Topic.objects.none(), required=False,
                                   empty_label=_("all"))
    sender = forms.ModelChoiceField(label=_("sender"), queryset=User.objects.none(), required=False,
                                    empty_label=_("all"))
    date_from = forms.DateField(label=_("from date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    campaign = forms.IntegerField(label=_("campaign"), min_value=1, required=False)
    work_order = forms.IntegerField(label=_("work order"), min_value=1, required=False)

    def limit_choices(self, actor) -> None:
        # A station's staff have one station to choose: the field stays (another
        # station's id is "not a valid choice") but is not shown.
        self.fields["station"].queryset = Station.objects.visible_to(actor)
        if not is_head_office(actor):
            self.fields["station"].widget = forms.HiddenInput()
        self.fields["topic"].queryset = Topic.objects.visible_to(actor)
        self.fields["sender"].queryset = User.objects.visible_to(actor).order_by("username")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("must not be before the start date"))
        return data
