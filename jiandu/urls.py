"""The URL map: the tip line at the root, the newsroom under /newsroom/, the public site under
/cases/. Every page exists in each language under its prefix (/en/, /zh-hant/; Simplified
Chinese has none), so switching language is a plain link."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from jiandu.accounts.urls import urlpatterns_for as account_urlpatterns
from jiandu.newsroom import actions as member_flows
from jiandu.newsroom.urls import members_urlpatterns
from jiandu.tipline.urls import designer_urlpatterns
from jiandu.tlog.urls import about_urlpatterns, verify_urlpatterns

urlpatterns = [  # noqa: RUF005 (keeps the language-prefixed list as it was)
    # The transparency log's resources have one URL in every language (C2SP tlog-tiles).
    path("log/", include("jiandu.tlog.urls")),
] + i18n_patterns(
    path("log/verify/", include((verify_urlpatterns, "verify"))),
    path("log/checkpoint/about/", include((about_urlpatterns, "log_about"))),
    path("newsroom/custody/", include("jiandu.ledger.urls")),
    path("newsroom/sources/", include("jiandu.newsroom.urls")),
    path("newsroom/cases/", include("jiandu.cases.urls")),
    path("newsroom/forensics/", include("jiandu.forensics.urls")),
    path("newsroom/redaction/", include("jiandu.redaction.urls")),
    path("newsroom/comments/", include("jiandu.public.moderation")),
    path("newsroom/questionnaire/", include((designer_urlpatterns, "questionnaire"))),
    path("newsroom/members/", include((members_urlpatterns, "members"))),
    # Sign-in, password and member changes run the flows of the room above accounts and the
    # vault (jiandu.accounts.flows).
    path("newsroom/", include((account_urlpatterns(flows=member_flows), "accounts"))),
    path("cases/", include("jiandu.public.urls")),
    path("", include("jiandu.tipline.urls")),
    prefix_default_language=False,
)

handler404 = "jiandu.core.views.page_not_found"
handler500 = "jiandu.core.views.server_error"
