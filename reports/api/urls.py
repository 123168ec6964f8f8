from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("reports/exports", views.ExportViewSet, basename="report-export")

urlpatterns = [
    path("reports/collection/", views.CollectionReportView.as_view(), name="report-collection"),
    path("reports/arrears/", views.ArrearsReportView.as_view(), name="report-arrears"),
    path("reports/cash/", views.CashReportView.as_view(), name="report-cash"),
    path("reports/jurisdictions/", views.JurisdictionReportView.as_view(), name="report-jurisdictions"),
    path("reports/campaigns/", views.CampaignOutcomeReportView.as_view(), name="report-campaigns"),
    path("reports/dashboard/", views.DashboardView.as_view(), name="report-dashboard"),
    path("reports/sources/", views.SourceListView.as_view(), name="report-sources"),
    *router.urls,
]
