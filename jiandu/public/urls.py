from django.urls import path

from jiandu.public import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
]
