import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.warm import warm  # noqa: E402  (after Django is set up)
from webhooks.intake import ReceiptIntake  # noqa: E402

# Delivery receipts skip Django's middleware (webhooks/intake.py says why); everything else is Django's.
application = ReceiptIntake(django_application)
warm()
