from django.urls import include, path

app_name = "messaging"
urlpatterns = []
