from django.core.management.base import BaseCommand, CommandError

from core_billing.models import Customer, PayLink, Season
from core_billing.services.paylinks import paylinks_for_customers


class Command(BaseCommand):
    help = "Print the pay link of a household (a live one is reused); --revoke revokes its live links."

    def add_arguments(self, parser):
        parser.add_argument("account_no")
        parser.add_argument("--season", help="bind the link to one season, e.g. 2025-2026")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, account_no, season=None, revoke=False, **options):
        customer = Customer.objects.filter(account_no=account_no).first()
        if customer is None:
            raise CommandError(f"no household with account number {account_no}")
        if revoke:
            from django.utils import timezone

            n = PayLink.objects.filter(customer=customer, revoked_at__isnull=True).update(revoked_at=timezone.now())
            self.stdout.write(f"revoked {n} link(s)")
            return
        season_obj = None
        if season:
            season_obj = Season.objects.filter(name=season).first()
            if season_obj is None:
                raise CommandError(f"no season named {season}")
        url = paylinks_for_customers([customer], season=season_obj)[customer.pk]
        link = PayLink.objects.filter(customer=customer, season=season_obj).order_by("-expires_at").first()
        self.stdout.write(url)
        self.stderr.write(f"{customer.name} {customer.address}, owes {customer.arrears_total} yuan; "
                          f"link expires {link.expires_at:%Y-%m-%d}" if link else "")
