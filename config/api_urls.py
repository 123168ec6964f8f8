"""/api/v1/: each app contributes its own router."""
from django.urls import include, path

urlpatterns = [
    path("", include("core_billing.api.urls")),
    path("", include("webhooks.outbound.api_urls")),
    path("", include("campaigns.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("reports.api.urls")),
]
