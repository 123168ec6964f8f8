from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core_billing.metrics import health_view, metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", health_view, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("integrations/webhooks/", include("webhooks.outbound.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("reports/", include("reports.urls")),
    # The message list became the delivery records page of reports (it exports);
    # old links and bookmarks keep working with their filter.
    path("sms/messages/", RedirectView.as_view(pattern_name="reports:records", query_string=True),
         name="sms-messages"),
    path("", include("webhooks.urls")),
    path("", include("messaging.urls")),
    path("", include("core_billing.urls")),
]
