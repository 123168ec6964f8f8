from rest_framework.routers import DefaultRouter

from .api import DeliveryViewSet, SubscriptionViewSet

router = DefaultRouter()
router.register("webhook-subscriptions", SubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
urlpatterns = router.urls
