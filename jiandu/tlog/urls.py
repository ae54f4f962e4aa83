"""/log/: the transparency log as C2SP tlog-tiles resources, the witness API, and (under the
language prefixes) the verify page and the checkpoint explained for people."""

from django.urls import path, re_path

from jiandu.tlog import views

app_name = "tlog"
urlpatterns = [
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("cosigned-checkpoint", views.cosigned_checkpoint, name="cosigned_checkpoint"),
    path("key", views.key, name="key"),
    path("consistency/<int:old>/<int:new>", views.consistency, name="consistency"),
    re_path(r"^tile/(?P<path>[0-9a-z./]{5,80})$", views.tile, name="tile"),
    path("witness/add-checkpoint", views.add_checkpoint, name="add_checkpoint"),
    path("witness/key", views.witness_key, name="witness_key"),
    re_path(
        r"^witness/(?P<origin_hash>[0-9a-f]{64})/checkpoint$",
        views.witnessed_checkpoint,
        name="witnessed_checkpoint",
    ),
]

verify_urlpatterns = [path("", views.verify_page, name="page")]
# The human page beside /log/checkpoint, under the language prefixes: /log/checkpoint/about/.
about_urlpatterns = [path("", views.checkpoint_about, name="checkpoint")]
