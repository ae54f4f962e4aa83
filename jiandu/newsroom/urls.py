from django.urls import path

from jiandu.newsroom.views import settings, sources

app_name = "newsroom"
urlpatterns = [
    path("", sources.sources, name="sources"),
    path("bulk/", sources.bulk, name="bulk"),
    path("clear/", sources.clear_flood, name="clear_flood"),
    path("export.csv", sources.export_csv, name="export_csv"),
    path("grant/", sources.grant, name="grant"),
    path("hand-new-files/", sources.hand_new_files, name="hand_new_files"),
    path("key/", sources.key, name="key"),
    path("key/export/", sources.export_key, name="export_key"),
    path("notifications/", settings.notifications, name="notifications"),
    path("keys/", settings.key_status, name="key_status"),
    path("retention/", settings.retention, name="retention"),
    path("reassign/", sources.reassign, name="reassign"),
    path("<int:source_id>/", sources.source, name="source"),
    path("<int:source_id>/triage/", sources.triage, name="triage"),
    path("<int:source_id>/reply/", sources.reply, name="reply"),
    path("<int:source_id>/notes/", sources.note, name="note"),
    path("<int:source_id>/tags/<int:tag_id>/remove/", sources.untag, name="untag"),
    path("<int:source_id>/export/", sources.export_source, name="export_source"),
    path("<int:source_id>/previews/", sources.preview_all, name="preview_all"),
    path("<int:source_id>/items/<int:item_id>/", sources.download, name="download"),
    path("<int:source_id>/items/<int:item_id>/export/", sources.export_item, name="export_item"),
    path("<int:source_id>/items/<int:item_id>/preview/", sources.preview, name="preview"),
    path(
        "<int:source_id>/items/<int:item_id>/preview/<int:part>/",
        sources.preview_part,
        name="preview_part",
    ),
]

# The members list and the add-member form, at /newsroom/members/ (jiandu/urls.py mounts it
# before the accounts room's pages, which keep /newsroom/members/<id>/).
members_urlpatterns = [path("", settings.members, name="index")]
