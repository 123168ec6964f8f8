from django.urls import include, path
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

from . import billing, pay  # noqa: E402

billing_router = DefaultRouter()
billing_router.register("seasons", billing.SeasonViewSet, basename="season")
billing_router.register("tariffs", billing.TariffViewSet, basename="tariff")
billing_router.register("discount-tiers", billing.DiscountTierViewSet, basename="discount-tier")
billing_router.register("adjustment-categories", billing.AdjustmentCategoryViewSet, basename="adjustment-category")
billing_router.register("change-reasons", billing.ChangeReasonViewSet, basename="change-reason")
billing_router.register("price-changes", billing.PriceChangeViewSet, basename="price-change")
billing_router.register("accounts", billing.AccountViewSet, basename="account")
billing_router.register("receipts", billing.ReceiptViewSet, basename="receipt")
billing_router.register("adjustments", billing.AdjustmentViewSet, basename="adjustment")
billing_router.register("entries", billing.LedgerEntryViewSet, basename="ledger-entry")
billing_router.register("pay-links", pay.PayLinkViewSet, basename="pay-link")
billing_router.register("online-orders", pay.OnlineOrderViewSet, basename="online-order")

urlpatterns += [
    path("billing/quote/", billing.QuoteView.as_view(), name="billing-quote"),
    path("billing/payments/", billing.PaymentView.as_view(), name="billing-payment"),
    path("billing/customers/<int:pk>/summary/", billing.CustomerSummaryView.as_view(),
         name="billing-customer-summary"),
    path("billing/", include(billing_router.urls)),
]
