from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list_page, name="list"),
    path("new/", views.campaign_create_page, name="create"),
    path("resend/", views.resend_failed, name="resend-failed"),
    path("audiences/", views.audience_list_page, name="audience-list"),
    path("audiences/new/", views.audience_edit, name="audience-create"),
    path("audiences/<int:pk>/", views.audience_edit, name="audience-edit"),
    path("preview/", views.preview_partial, name="preview"),
    path("preview/skipped.xlsx", views.skipped_download, name="skipped"),
    path("dunning/", views.dunning_list, name="dunning-list"),
    path("dunning/new/", views.dunning_create, name="dunning-create"),
    path("dunning/<int:pk>/", views.dunning_detail, name="dunning-detail"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/progress/", views.campaign_progress_partial, name="progress"),
    path("<int:pk>/<slug:action>/", views.campaign_action, name="action"),
]
