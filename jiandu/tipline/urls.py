from django.urls import path

from jiandu.tipline import resumable_views, views

app_name = "tipline"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("submit/", views.submit, name="submit"),
    path("receipt/", views.receipt, name="receipt"),
    path("codename/noted/", views.codename_noted, name="codename_noted"),
    path("return/", views.return_with_codename, name="return"),
    path("conversation/", views.conversation, name="conversation"),
    path("conversation/delete/<int:submission_id>/", views.delete_submission, name="delete"),
    path("conversation/sign-out/", views.sign_out, name="sign_out"),
    path("uploads/", resumable_views.create, name="upload_create"),
    path("uploads/<str:upload_id>/", resumable_views.piece, name="upload_piece"),
    path("uploads/<str:upload_id>/finish/", resumable_views.finish, name="upload_finish"),
]
