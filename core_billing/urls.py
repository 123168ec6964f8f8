from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

console = ([
    path("", views.home, name="home"),
    path("customers/", views.customer_list_page, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("customers/buildings/", views.buildings_options, name="building-options"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/template.xlsx", views.import_template, name="import-template"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import-errors"),
    path("jurisdictions/", views.jurisdictions, name="jurisdictions"),
], "console")

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="core_billing/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(console)),
]
