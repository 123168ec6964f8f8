from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")
router.register("repair-workers", views.RepairWorkerViewSet, basename="repair-worker")
urlpatterns = router.urls
