"""The export sources this app registers (from ReportsConfig.ready)."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from messaging.selectors.messages import message_list

from . import filters
from .exports import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, Column, ExportSource, register_source
from .selectors.billing import arrears_list, cash_rows, collection_rows, jurisdiction_rows
from .selectors.campaigns import campaign_outcome_rows

VIEW_REPORTS = "reports.view_reports"


def _recipient(message) -> str:
    if message.customer_id:
        return message.customer.name
    if message.staff_id:
        return message.staff.display_name
    return ""


def _sender(message) -> str:
    return message.sender.display_name if message.sender_id else str(_("system"))


def _cost(message):
    return message.segments * settings.SMS_PRICE_PER_SEGMENT


def message_rows(*, actor, **filters):
    """Delivery records: messaging's record query, the same as the records page and the API."""
    return message_list(actor=actor, **filters)


COLLECTION = ExportSource(
    name="collection", title=_("Collection progress"), permission=VIEW_REPORTS, form=filters.CollectionFilterForm,
    rows=collection_rows, description=_("Households, area, receivable, collected and rate per station, community, "
                                        "collector or season."),
    columns=(
        Column("label", _("Station / community / collector"), width=24),
        Column("station", _("Heating station")),
        Column("season", _("Heating season")),
        Column("households", _("Households"), INT),
        Column("area", _("Area (m²)"), DECIMAL),
        Column("receivable", _("Receivable (yuan)"), MONEY),
        Column("collected", _("Collected (yuan)"), MONEY),
        Column("outstanding", _("Outstanding (yuan)"), MONEY),
        Column("rate", _("Collection rate"), PERCENT),
    ))

ARREARS = ExportSource(
    name="arrears", title=_("Arrears list"), permission=VIEW_REPORTS, form=filters.ArrearsFilterForm,
    rows=arrears_list, description=_("Households in arrears, filtered like a campaign audience."),
    columns=(
        Column("account_no", _("Account number")),
        Column("name", _("Customer name")),
        Column("station", _("Heating station"), get="station.name"),
        Column("community", _("Community"), get="building.community.name"),
        Column("building", _("Building"), get="building.name"),
        Column("unit", _("Unit"), INT),
        Column("room", _("Room")),
        Column("exchange_station", _("Exchange station"), get="building.exchange_station.name"),
        Column("customer_type", _("Customer type"), get="customer_type.name"),
        Column("heating_status", _("Heating status"), get="get_heating_status_display"),
        Column("area", _("Area (m²)"), DECIMAL),
        Column("mobile", _("Mobile"), width=16),
        Column("collector", _("Collector"), get="collector_name"),
        Column("arrears_seasons", _("Seasons in arrears"), INT),
        Column("old_arrears", _("Old arrears (yuan)"), MONEY),
        Column("due_current", _("Due this season (yuan)"), MONEY),
        Column("late_fee_total", _("Late fee (yuan)"), MONEY),
        Column("arrears_total", _("Total owed (yuan)"), MONEY),
        Column("balance_as_of", _("Balance as of"), DATE),
    ))

CASH = ExportSource(
    name="cash", title=_("Daily cash report"), permission=VIEW_REPORTS, form=filters.CashFilterForm,
    rows=cash_rows, description=_("Money taken per day by collector and payment method, reversals netted."),
    columns=(
        Column("day", _("Date"), DATE),
        Column("station", _("Heating station")),
        Column("collector", _("Collector"), width=18),
        Column("receipts", _("Receipt count"), INT),
        Column("cash", _("Cash (yuan)"), MONEY),
        Column("card", _("Bank card (yuan)"), MONEY),
        Column("bank_transfer", _("Bank transfer (yuan)"), MONEY),
        Column("online", _("Online (yuan)"), MONEY),
        Column("reversed", _("Reversed (yuan)"), MONEY),
        Column("net", _("Net taken (yuan)"), MONEY),
    ))

JURISDICTIONS = ExportSource(
    name="jurisdictions", title=_("Jurisdiction statistics"), permission=VIEW_REPORTS,
    form=filters.JurisdictionFilterForm, rows=jurisdiction_rows,
    description=_("Households, area and amounts per collector's jurisdiction."),
    columns=(
        Column("collector", _("Collector"), width=18),
        Column("station", _("Heating station")),
        Column("households", _("Households"), INT),
        Column("area", _("Area (m²)"), DECIMAL),
        Column("billed", _("Billed this season (yuan)"), MONEY),
        Column("collected", _("Collected this season (yuan)"), MONEY),
        Column("rate", _("Collection rate"), PERCENT),
        Column("owed", _("Owed, all seasons (yuan)"), MONEY),
    ))

MESSAGES = ExportSource(
    name="messages", title=_("SMS delivery records"), permission="messaging.view_message",
    form=filters.MessageRecordFilterForm, rows=message_rows,
    description=_("Every message with its recipient, text, status and error."),
    columns=(
        Column("created_at", _("Created at"), DATETIME),
        Column("station", _("Heating station"), get="station.name"),
        Column("phone", _("Phone"), width=16),
        Column("recipient", _("Recipient"), get=_recipient),
        Column("account_no", _("Account number"), get="customer.account_no"),
        Column("topic", _("SMS topic"), get="topic.name"),
        Column("season", _("Heating season")),
        Column("body", _("SMS text"), width=60),
        Column("segments", _("Segments"), INT),
        Column("cost", _("Cost (yuan)"), MONEY, get=_cost),
        Column("sender", _("Sender"), get=_sender),
        Column("status", _("Delivery status"), get="get_status_display"),
        Column("error_code", _("Error code")),
        Column("error_text", _("Error"), width=30),
        Column("sent_at", _("Sent"), DATETIME),
        Column("delivered_at", _("Delivered"), DATETIME),
        Column("campaign_id", _("Campaign"), INT),
        Column("work_order_id", _("Work order"), INT),
    ))


CAMPAIGNS = ExportSource(
    name="campaigns", title=_("Campaign outcomes"), permission="campaigns.view_campaign", form=filters.CampaignOutcomeFilterForm,
    rows=campaign_outcome_rows, description=_("Targeted, skipped by reason, sent, delivered, failed by error code, "
                                              "segments and cost, per campaign or per topic and season."),
    columns=(
        Column("label", _("Campaign / topic"), width=24),
        Column("station", _("Heating station")),
        Column("season", _("Heating season")),
        Column("topic", _("SMS topic"), width=18),
        Column("created_at", _("Created at"), DATETIME),
        Column("campaigns", _("Number of campaigns"), INT),
        Column("targeted", _("Households targeted"), INT),
        Column("skipped", _("Households skipped"), INT),
        Column("skipped_reasons", _("Skipped by reason"), width=30),
        Column("sent", _("Messages sent"), INT),
        Column("delivered", _("Messages delivered"), INT),
        Column("failed", _("Messages failed"), INT),
        Column("failed_codes", _("Failed by error code"), width=24),
        Column("delivery_rate", _("Delivery rate"), PERCENT),
        Column("billed_segments", _("Billed segments"), INT),
        Column("cost", _("Cost (yuan)"), MONEY),
    ))


def register_builtin_sources() -> None:
    for source in (COLLECTION, ARREARS, CASH, JURISDICTIONS, MESSAGES, CAMPAIGNS):
        register_source(source)
