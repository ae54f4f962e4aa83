from django.urls import path

from jiandu.newsroom import views

app_name = "newsroom"
urlpatterns = [
    path("", views.sources, name="sources"),
    path("grant/", views.grant, name="grant"),
    path("key/", views.key, name="key"),
    path("key/export/", views.export_key, name="export_key"),
    path("<int:source_id>/", views.source, name="source"),
    path("<int:source_id>/reply/", views.reply, name="reply"),
    path("<int:source_id>/items/<int:item_id>/", views.download, name="download"),
    path("<int:source_id>/items/<int:item_id>/export/", views.export_item, name="export_item"),
]
