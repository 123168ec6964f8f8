from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("workers/", views.worker_list, name="workers"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.order_action, name="action"),
]
