from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("sms/topics/", views.topic_list_page, name="topic-list"),
    path("sms/topics/new/", views.topic_edit, name="topic-create"),
    path("sms/topics/<int:pk>/", views.topic_edit, name="topic-edit"),
    path("sms/preview/", views.preview_partial, name="preview"),
    path("sms/send/", views.send_one, name="send"),
    path("sms/staff/", views.staff_send, name="staff-send"),
    path("sms/staff/count/", views.staff_count_partial, name="staff-count"),
    path("sms/messages/<int:pk>/", views.message_detail, name="message-detail"),
    path("sms/replies/", views.replies, name="replies"),
    path("sms/customers/<int:customer_pk>/opt-out/", views.customer_opt_out, name="customer-opt-out"),
]
