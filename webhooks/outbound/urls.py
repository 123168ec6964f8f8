from django.urls import path

from . import pages

app_name = "outbound"
urlpatterns = [
    path("", pages.webhook_page, name="webhooks"),
    path("deliveries/<int:pk>/replay/", pages.replay, name="replay"),
    path("subscriptions/<int:pk>/toggle/", pages.toggle, name="toggle"),
]
