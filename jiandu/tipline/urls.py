from django.urls import path

from jiandu.tipline import views

app_name = "tipline"
urlpatterns = [
    path("", views.landing, name="landing"),
]
