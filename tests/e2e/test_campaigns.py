"""Customer service in a browser: build an audience and preview it, send a campaign through the SMS
simulator (some messages end undelivered), watch the progress reach delivered and failed, resend the
failures (the simulator now delivers everything) and see them delivered."""
import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from messaging.models import Message
from messaging.services.topics import topic_create
from tests import factories as f

pytestmark = pytest.mark.e2e


def test_audience_preview_campaign_progress_and_resend(org, login, live_server, make_sim, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.CAMPAIGN_QUIET_HOURS = None
    f.season()
    topic_create(actor=org.admin, name="打压试水通知", kind="notice", company_wide=True,
                 body="尊敬的{{ 客户名称 }}，{{ 小区 }}明日打压试水，请家中留人。")
    for i in range(8):
        f.customer(org.building1, name=f"住户{i}", room=f"30{i}", phones=[f"139{12345601 + i}"])  # none ends 0000 (always undelivered)
    sim = make_sim(callback=f"{live_server.url}/webhooks/sms/twilio/status/", undelivered_rate=0.5,
                   callback_threads=1)

    page = login(org.service1)
    page.get_by_role("link", name="群发", exact=True).first.click()
    page.get_by_role("link", name="受众", exact=True).click()
    page.click("#new-audience")
    page.fill("#id_name", "阳光花园1号楼")
    page.select_option("#id_buildings", label=str(org.building1))
    page.select_option("#id_topic", label="打压试水通知")
    expect(page.locator("#preview-recipients")).to_have_text("9")
    expect(page.locator("#preview tr[data-reason=landline]")).to_contain_text("1")
    expect(page.locator("#preview-cost")).to_contain_text("0.45")
    expect(page.locator("#download-skipped")).to_be_visible()
    page.click("#save-audience")
    page.click("#send-campaign")
    page.select_option("#id_topic", label="打压试水通知")
    expect(page.locator("#preview-recipients")).to_have_text("9")
    page.fill("#id_name", "打压试水")
    page.click("#confirm-send")

    # the page follows the campaign by itself until every message is final
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "finished", timeout=30000)
    campaign = Campaign.objects.get()
    failed = Message.objects.filter(campaign_id=campaign.pk, status="failed").count()
    delivered = Message.objects.filter(campaign_id=campaign.pk, status="delivered").count()
    assert failed and delivered and failed + delivered == 9
    expect(page.locator("#count-failed")).to_have_text(str(failed))
    expect(page.locator("#count-delivered")).to_have_text(str(delivered))
    expect(page.locator("#count-skipped")).to_have_text("1")

    sim.config.undelivered_rate = 0  # the phones are reachable again
    page.click("#resend")
    expect(page.locator("#outcome-resent")).to_have_text(str(failed))
    expect(page.locator("#count-delivered")).to_have_text("9", timeout=30000)
    assert Message.objects.filter(resend_of__isnull=False, status="delivered").count() == failed
    assert len(sim.received()) == 9 + failed
    expect(page.locator("#resend")).to_have_count(0)  # nothing left to resend
