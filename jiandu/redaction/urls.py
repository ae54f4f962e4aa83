from django.urls import path

from jiandu.redaction import views

app_name = "redaction"
urlpatterns = [
    path("", views.index, name="index"),
    path("seen/", views.seen_all, name="seen_all"),
    path("items/<int:item_id>/", views.studio, name="studio"),
    path("items/<int:item_id>/frame/", views.frame_preview, name="frame_preview"),
    path("renders/<int:render_id>/", views.render_page, name="render"),
    path("renders/<int:render_id>/output/", views.output, name="output"),
    path("renders/<int:render_id>/seen/", views.seen, name="seen"),
    path("renders/<int:render_id>/faces/<int:number>/", views.face, name="face"),
    path("renders/<int:render_id>/cancel/", views.cancel, name="cancel"),
    path("renders/<int:render_id>/publish/", views.publish, name="publish"),
]
