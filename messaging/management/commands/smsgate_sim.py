"""Run the SMS gateway simulator (Twilio Messages API + signed status callbacks)."""
from django.conf import settings
from django.core.management.base import BaseCommand

from messaging.simulator import SimulatorConfig, SmsSimulator


class Command(BaseCommand):
    help = "Run the bundled SMS gateway simulator, speaking Twilio's Messages API."

    def add_arguments(self, parser):
        from urllib.parse import urlparse

        default_port = urlparse(settings.SMS_SIMULATOR_URL).port or 8025
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=default_port)
        parser.add_argument("--rate", type=float, default=100.0, help="allowed messages per second (0: unlimited)")
        parser.add_argument("--burst", type=int, default=0, help="token bucket size (default rate/10, at least 10)")
        parser.add_argument("--latency-ms", type=float, default=20.0, help="API answer delay")
        parser.add_argument("--receipt-latency-ms", type=float, default=800.0, help="mean delay of each callback")
        parser.add_argument("--failure-rate", type=float, default=0.0, help="share of API calls answered 503")
        parser.add_argument("--undelivered-rate", type=float, default=0.05,
                            help="share of accepted messages that end undelivered")
        parser.add_argument("--duplicate-rate", type=float, default=0.0, help="share of callbacks posted twice")
        parser.add_argument("--delay-rate", type=float, default=0.0, help="share of callbacks held back")
        parser.add_argument("--delay-ms", type=float, default=3000.0, help="how long a held-back callback waits")
        parser.add_argument("--out-of-order-rate", type=float, default=0.0,
                            help="share of messages whose final callback precedes 'sent'")
        parser.add_argument("--inbound-url", default=f"{settings.PUBLIC_BASE_URL}/webhooks/sms/twilio/inbound/")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **o):
        config = SimulatorConfig(
            account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN, host=o["host"],
            port=o["port"], rate=o["rate"], burst=o["burst"], latency_ms=o["latency_ms"],
            receipt_latency_ms=o["receipt_latency_ms"], failure_rate=o["failure_rate"],
            undelivered_rate=o["undelivered_rate"], duplicate_rate=o["duplicate_rate"],
            delay_rate=o["delay_rate"], delay_ms=o["delay_ms"], out_of_order_rate=o["out_of_order_rate"],
            inbound_url=o["inbound_url"], seed=o["seed"])
        sim = SmsSimulator(config)
        sim.start()
        self.stdout.write(f"SMS simulator on {sim.url} (the phone: {sim.url}/sim/), {config.rate:g} msg/s allowed",
                          ending="\n")
        self.stdout.flush()
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            pass
