"""The app catalogues agree with each other.

Django merges every app's catalogue into one, the app listed first in
INSTALLED_APPS winning for the same (context, msgid); a msgid two apps
translate differently therefore shows one app's wording on the other's pages
(campaign counts once read "送达时间", a time column).  A word with two meanings
gets a context (pgettext / ``{% translate ... context ... %}``) in the app that
means the other thing."""
from __future__ import annotations

import collections
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.campaigns.conftest import season, street, topics  # noqa: F401  (fixtures)
from tests.dispatch.test_work_orders import crew  # noqa: F401  (fixture)

CATALOGUES = sorted(p for p in Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po")
                    if ".venv" not in p.parts)


def _entries(path):
    return [e for e in polib.pofile(str(path)) if not e.obsolete and e.msgid != ""]


def _translation(entry):
    return entry.msgstr or " | ".join(v for _k, v in sorted(entry.msgstr_plural.items()))


def test_every_app_has_a_catalogue():
    assert {p.parts[-5] for p in CATALOGUES} >= {"core_billing", "messaging", "campaigns", "dispatch", "reports",
                                                  "webhooks"}


def test_one_translation_per_msgid_across_catalogues():
    seen = collections.defaultdict(dict)
    for path in CATALOGUES:
        for e in _entries(path):
            seen[(e.msgctxt, e.msgid)][path.parts[-5]] = _translation(e)
    clashes = {key: apps for key, apps in seen.items() if len(set(apps.values())) > 1}
    assert not clashes, "same (context, msgid) translated differently by different apps: " + "; ".join(
        f"{key}: {apps}" for key, apps in sorted(clashes.items(), key=str))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_catalogue_has_no_empty_fuzzy_or_duplicate_entry(path):
    entries = _entries(path)
    empty = [e.msgid for e in entries if not e.msgstr and not any(e.msgstr_plural.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]  # compiled catalogues leave these out
    counts = collections.Counter((e.msgctxt, e.msgid) for e in entries)
    assert not empty, f"untranslated: {empty}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert [k for k, n in counts.items() if n > 1] == []
    # counted in the raw text as well, so the check does not depend on how polib treats a repeated entry
    raw = collections.Counter(re.findall(r'(?m)^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid "((?:[^"\\]|\\.)*)"\n',
                                         path.read_text(encoding="utf-8")))
    assert [k for k, n in raw.items() if n > 1 and k != ("", "")] == []


def test_words_with_two_meanings_render_each_meaning():
    from campaigns.models import CampaignStatus
    from dispatch.models import WorkOrder, WorkOrderEvent, WorkOrderStatus

    with translation.override("zh-hans"):
        message_time = Template('{% load i18n %}{% translate "Delivered" %}/{% translate "Failed" %}')
        campaign_count = Template('{% load i18n %}{% translate "Delivered" context "campaign count" %}/'
                                  '{% translate "Failed" context "campaign count" %}')
        assert message_time.render(Context()) == "送达时间/失败时间"
        assert campaign_count.render(Context()) == "已送达/失败"
        assert str(WorkOrderEvent.Kind.CREATED.label) == "已创建" == str(WorkOrderStatus.CREATED.label)
        assert str(WorkOrder._meta.get_field("created_at").verbose_name) == "创建时间"
        assert str(WorkOrder._meta.get_field("number").verbose_name) == "编号"
        assert str(CampaignStatus.FINISHED.label) == "已完成"


@pytest.mark.django_db
def test_campaign_detail_shows_counts_not_times(org, street, season, topics, sim,  # noqa: F811
                                                django_capture_on_commit_callbacks):
    from campaigns.models import Audience, Campaign
    from messaging.models import Message
    from messaging.services.transitions import transition

    web = Client()
    web.force_login(org.service1)
    form = {"name": "一号楼", "buildings": [org.building1.pk], "topic": topics.notice.pk, "season": "2025-2026"}
    web.post("/campaigns/audiences/new/", form)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/campaigns/new/", {"name": "打压试水", "audience": Audience.objects.get().pk,
                                     "topic": topics.notice.pk, "season": "2025-2026"})
    campaign = Campaign.objects.get()
    ids = list(Message.objects.filter(campaign_id=campaign.pk).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        transition(ids[:2], "delivered")
        transition(ids[2:3], "failed", error_code="30003")
    page = web.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<th>已送达</th><td class="num" id="outcome-delivered">2<' in page
    assert '<th>失败</th><td class="num" id="outcome-failed">1' in page
    assert "送达时间" not in page and "失败时间" not in page
    listing = web.get("/campaigns/").content.decode()
    assert "<th>名称</th>" in listing and "短信数" in listing


@pytest.mark.django_db
def test_dispatch_pages_show_work_order_wording(org, crew, sim):  # noqa: F811
    from dispatch.models import WorkOrder

    web = Client()
    web.force_login(crew.dispatcher1)
    form = web.get(reverse("dispatch:create")).content.decode()
    assert "故障类别" in form and "联系人" in form
    web.post(reverse("dispatch:create"), {"account_no": org.customer1.account_no, "problem": "暖气不热",
                                          "category": "no_heat", "priority": "normal", "address": "",
                                          "contact_name": "", "contact_phone": ""})
    order = WorkOrder.objects.get()
    page = web.get(reverse("dispatch:detail", args=[order.pk])).content.decode()
    step = re.search(r'<tr data-kind="created">.*?</tr>', page, re.S)
    assert step and "已创建" in step.group(0) and "创建时间" not in step.group(0)
