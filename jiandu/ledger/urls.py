from django.urls import path

from jiandu.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.custody_log, name="custody_log"),
]
