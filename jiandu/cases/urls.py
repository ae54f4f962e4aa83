from django.urls import path

from jiandu.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("people/", views.people, name="people"),
    path("policy/", views.policy, name="policy"),
    path("stopped/", views.hold_stopped, name="hold_stopped"),
    path("<int:case_id>/stop/", views.hold_stop, name="hold_stop"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("<int:case_id>/", views.workspace, name="workspace"),
    path("<int:case_id>/edit/", views.case_edit, name="edit"),
    path(
        "<int:case_id>/claims/<int:claim_id>/versions/", views.claim_version, name="claim_version"
    ),
    path("<int:case_id>/events/<int:event_id>/", views.event_edit, name="event_edit"),
    path("<int:case_id>/events/<int:event_id>/delete/", views.event_delete, name="event_delete"),
    path("<int:case_id>/people/<int:person_id>/remove/", views.person_unlink, name="person_unlink"),
    path("<int:case_id>/<slug:kind>/<int:item_id>/remove/", views.item_delete, name="item_delete"),
    path("<int:case_id>/<slug:step>/", views.case_step, name="step"),
]
