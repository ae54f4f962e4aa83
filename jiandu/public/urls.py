from django.urls import path

from jiandu.public import api, feeds, openapi, views
from jiandu.public.sitemaps import sitemap_xml

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("feed/", feeds.AllCasesFeed(), name="feed"),
    path("sitemap.xml", sitemap_xml, name="sitemap"),
    path("api/openapi.json", openapi.openapi, name="openapi"),
    path("api/cases.json", api.cases, name="api_cases"),
    path("api/cases/<slug:slug>.json", api.case, name="api_case"),
    path("api/people/<slug:slug>.json", api.person, name="api_person"),
    path("export/entities.ftm.json", views.export_ftm, name="export_ftm"),
    path("export/<slug:table>.csv", views.export_csv, name="export_csv"),
    path("evidence/<str:name>", views.evidence_file, name="evidence"),
    path("people/<slug:slug>/", views.person_page, name="person"),
    path("people/<slug:slug>/feed/", feeds.PersonFeed(), name="person_feed"),
    path("<slug:slug>/", views.case_page, name="case"),
    path("<slug:slug>/feed/", feeds.CaseFeed(), name="case_feed"),
    path("<slug:slug>/qr.svg", views.qr_code, name="qr"),
    path("<slug:slug>/comment/", views.comment, name="comment"),
    path("<slug:slug>/revisions/<int:number>/", views.revision_page, name="revision"),
]
