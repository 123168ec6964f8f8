from django.urls import path

from . import payments, views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/sms/<slug:gateway>/status/", views.sms_status, name="sms-status"),
    path("webhooks/sms/<slug:gateway>/inbound/", views.sms_inbound, name="sms-inbound"),
    path("webhooks/pay/<slug:provider>/notify/", payments.pay_notify, name="pay-notify"),
]
