from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("sms-topics", views.TopicViewSet, basename="sms-topic")
router.register("messages", views.MessageViewSet, basename="message")
router.register("sms-opt-outs", views.OptOutViewSet, basename="sms-opt-out")
router.register("sms-replies", views.InboundViewSet, basename="sms-reply")

urlpatterns = router.urls
