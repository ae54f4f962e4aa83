from django.urls import path

from jiandu.tipline import designer

app_name = "questionnaire"
urlpatterns = [
    path("", designer.designer, name="designer"),
    path("review/", designer.review, name="review"),
]
