from django.urls import path

from jiandu.forensics import views

app_name = "forensics"
urlpatterns = [
    path("items/<int:item_id>/", views.report, name="report"),
    path("lookup/", views.lookup, name="lookup"),
    path("text/", views.text_search, name="text_search"),
]
