from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .payments import simulator as paysim
from .views import billing as billing_views
from .views import pay as pay_views
from .views import paylinks_staff

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

billing = ([
    path("desk/", billing_views.desk, name="desk"),
    path("desk/<int:pk>/", billing_views.desk_customer, name="desk-customer"),
    path("receipts/<int:pk>/", billing_views.receipt, name="receipt"),
    path("accounts/<int:pk>/change/", billing_views.account_change, name="account-change"),
    path("accounts/<int:pk>/adjust/", billing_views.account_adjust, name="account-adjust"),
    path("approvals/", billing_views.approvals, name="approvals"),
    path("corrections/", billing_views.corrections, name="corrections"),
    path("entries/<int:pk>/reverse/", billing_views.entry_reverse, name="entry-reverse"),
    path("prices/", billing_views.prices, name="prices"),
    path("prices/preview/", billing_views.price_preview, name="price-preview"),
    path("quote/", billing_views.quote, name="quote"),
    path("seasons/", billing_views.seasons, name="seasons"),
    path("customers/<int:pk>/pay-link/", paylinks_staff.customer_paylink, name="customer-paylink"),
], "billing")

# Customer pages: no staff login.  /p/<code> stays short for SMS (12 characters).
pay = ([
    path("p/<str:code>", pay_views.pay_page, name="link"),
    path("p/<str:code>/done/<str:out_trade_no>/", pay_views.pay_done, name="done"),
    path("r/<str:code>", pay_views.receipt_public, name="receipt"),
    path("my/", pay_views.my_login, name="my"),
    path("my/bills/", pay_views.my_bills, name="my-bills"),
    path("my/pay/", pay_views.my_pay, name="my-pay"),
    path("my/receipts/<int:pk>/", pay_views.my_receipt, name="my-receipt"),
    path("my/logout/", pay_views.my_logout, name="my-logout"),
    path("paysim/checkout/", paysim.checkout, name="paysim-checkout"),
], "pay")

urlpatterns = [
    path("", include(pay)),
    path("login/", auth_views.LoginView.as_view(template_name="core_billing/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("billing/", include(billing)),
    path("", include(console)),
]
