from django.urls import path

from jiandu.newsroom import views, views_settings

app_name = "newsroom"
urlpatterns = [
    path("", views.sources, name="sources"),
    path("bulk/", views.bulk, name="bulk"),
    path("clear/", views.clear_flood, name="clear_flood"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("grant/", views.grant, name="grant"),
    path("key/", views.key, name="key"),
    path("key/export/", views.export_key, name="export_key"),
    path("notifications/", views_settings.notifications, name="notifications"),
    path("keys/", views_settings.key_status, name="key_status"),
    path("retention/", views_settings.retention, name="retention"),
    path("reassign/", views.reassign, name="reassign"),
    path("<int:source_id>/", views.source, name="source"),
    path("<int:source_id>/triage/", views.triage, name="triage"),
    path("<int:source_id>/reply/", views.reply, name="reply"),
    path("<int:source_id>/notes/", views.note, name="note"),
    path("<int:source_id>/tags/<int:tag_id>/remove/", views.untag, name="untag"),
    path("<int:source_id>/export/", views.export_source, name="export_source"),
    path("<int:source_id>/previews/", views.preview_all, name="preview_all"),
    path("<int:source_id>/items/<int:item_id>/", views.download, name="download"),
    path("<int:source_id>/items/<int:item_id>/export/", views.export_item, name="export_item"),
    path("<int:source_id>/items/<int:item_id>/preview/", views.preview, name="preview"),
    path(
        "<int:source_id>/items/<int:item_id>/preview/<int:part>/",
        views.preview_part,
        name="preview_part",
    ),
]

# The members list and the add-member form, at /newsroom/members/ (jiandu/urls.py mounts it
# before the accounts room's pages, which keep /newsroom/members/<id>/).
members_urlpatterns = [path("", views_settings.members, name="index")]
