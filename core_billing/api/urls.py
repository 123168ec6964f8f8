from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("stations", views.StationViewSet, basename="station")
router.register("exchange-stations", views.ExchangeStationViewSet, basename="exchange-station")
router.register("communities", views.CommunityViewSet, basename="community")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("customer-types", views.CustomerTypeViewSet, basename="customer-type")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("jurisdictions", views.CollectorAssignmentViewSet, basename="jurisdiction")
router.register("imports", views.ImportJobViewSet, basename="import")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/login/", views.SessionLoginView.as_view(), name="api-login"),
    path("auth/logout/", views.SessionLogoutView.as_view(), name="api-logout"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
