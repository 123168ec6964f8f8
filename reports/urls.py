from django.urls import path

from . import views
from .views import records

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("collection/", views.collection, name="collection"),
    path("arrears/", views.arrears, name="arrears"),
    path("cash/", views.cash, name="cash"),
    path("jurisdictions/", views.jurisdictions, name="jurisdictions"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("records/", records.records, name="records"),
    path("records/counts/", records.record_counts, name="record-counts"),
    path("export/<slug:source>/", views.export, name="export"),
    path("exports/", views.export_list_page, name="export-list"),
    path("exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
