from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("audiences", views.AudienceViewSet, basename="audience")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("dunning-schemes", views.DunningSchemeViewSet, basename="dunning-scheme")
urlpatterns = router.urls
