from django.urls import path

from jiandu.core import views as core_views
from jiandu.tipline import designer, tus, views

app_name = "tipline"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("submit/", views.submit, name="submit"),
    path("submit/questions/<int:step>/", views.questions_step, name="questions"),
    path("receipt/", views.receipt, name="receipt"),
    path("codename/noted/", views.codename_noted, name="codename_noted"),
    path("return/", views.return_with_codename, name="return"),
    path("conversation/", views.conversation, name="conversation"),
    path("conversation/reply/", views.reply, name="reply"),
    path("conversation/delete/<int:submission_id>/", views.delete_submission, name="delete"),
    path("conversation/sign-out/", views.sign_out, name="sign_out"),
    # The user guides (jiandu.core.guides): the source's is linked from the landing page.
    path("guide/<slug:role>/", core_views.guide, name="guide"),
    path("guide/img/<slug:language>/<str:name>", core_views.guide_image, name="guide_image"),
    # The tus 1.0.0 server (jiandu.tipline.tus).
    path("upload/", tus.collection, name="upload_create"),
    path("upload/<str:upload_id>/", tus.resource, name="upload_piece"),
]

# The questionnaire's designer and its review, for the newsroom at /newsroom/questionnaire/
# (jiandu/urls.py mounts them under the "questionnaire" namespace).
designer_urlpatterns = [
    path("", designer.designer, name="designer"),
    path("review/", designer.review, name="review"),
]
