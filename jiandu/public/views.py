"""The public site, read by anyone: anonymous, cookieless and cacheable.

Every page here reads published snapshots through jiandu.cases.published. No page renders a
form that needs a CSRF token (which would start a session and a cookie), except the comment
page, which is a page of its own for that reason.
"""

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from jiandu.cases import metrics, published
from jiandu.cases.search import search_case_ids
from jiandu.cases.text import localize
from jiandu.public import actions as public_actions
from jiandu.public import charts, exports, throttle
from jiandu.public.forms import CommentForm
from jiandu.public.models import get_approved_comments

PUBLIC_CACHE = {"public": True, "max_age": 60}


def absolute(path: str) -> str:
    return settings.JIANDU_PUBLIC_BASE_URL.rstrip("/") + path


def _label(case: published.PublicCase, language: str) -> str:
    return localize(case.snapshot["title"], language)[0]


def metric_rows(m: metrics.CaseMetrics) -> list[dict[str, Any]]:
    return [
        {"label": label, "span": span}
        for label, span in (
            (_("First official response"), m.to_first_response),
            (_("Confirmation"), m.to_confirmation),
            (_("Removal from post"), m.to_removal),
        )
    ]


def overview(cases: list[published.PublicCase], language: str) -> dict[str, Any]:
    """The metrics across all cases: the chart, its table, and the officials still in post."""
    live = [c for c in cases if not c.retracted]
    per_case = [(c, c.metrics()) for c in live]
    series = [
        charts.Series(
            title,
            metrics.distribution((_label(c, language), getattr(m, attr)) for c, m in per_case),
        )
        for title, attr in (
            (_("To the first official response"), "to_first_response"),
            (_("To confirmation"), "to_confirmation"),
            (_("To removal from post"), "to_removal"),
        )
    ]
    chart = charts.response_chart(
        series,
        title=_("Time from publication to the authorities' response"),
        description=_(
            "Bars show the time from the publication of evidence to each response, per case; a "
            "thin line shows the range the dates' precision allows. The table below gives the "
            "same figures."
        ),
        hours_label=_("h = hours, d = days"),
    )
    medians = [
        {"title": s.title, "text": s.distribution.median_text()}
        for s in series
        if s.distribution.values
    ]
    named = sum(len(m.officials_named) for _c, m in per_case)
    still = sum(len(m.officials_still_in_post) for _c, m in per_case)
    return {
        "chart": chart,
        "series": series,
        "medians": medians,
        "officials_named": named,
        "officials_still": still,
    }


@require_safe
@cache_control(**PUBLIC_CACHE)
def home(request: HttpRequest) -> HttpResponse:
    cases = published.get_public_cases()
    language = request.LANGUAGE_CODE
    items = [{"case": c, "metrics": c.metrics()} for c in cases[:20]]
    context = {"items": items, "cases": cases, **overview(cases, language)}
    return render(request, "public/home.html", context)


def _case_context(request: HttpRequest, case: published.PublicCase, snapshot: dict) -> dict:
    people = {p["slug"]: p for p in snapshot["people"]}
    m = published.case_metrics_from_snapshot(snapshot)
    path = reverse("public:case", args=[case.slug])
    evidence = snapshot["evidence"]
    return {
        "case": case,
        "s": snapshot,
        "metrics": m,
        "metric_rows": metric_rows(m),
        "people_by_slug": people,
        "still_in_post": [people[p] for p in m.officials_still_in_post if p in people],
        "revisions": published.get_revisions(case.slug),
        "canonical_url": absolute(path),
        "og_image": absolute(reverse("public:evidence", args=[evidence[0]["name"]]))
        if evidence
        else "",
        "comments": get_approved_comments(case.slug),
    }


@require_safe
@cache_control(**PUBLIC_CACHE)
def case_page(request: HttpRequest, slug: str) -> HttpResponse:
    case = published.get_public_case(slug)
    if case is None:
        raise Http404
    return render(request, "public/case.html", _case_context(request, case, case.snapshot))


@require_safe
@cache_control(**PUBLIC_CACHE)
def revision_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """An earlier public version of a case, exactly as it was published."""
    case = published.get_public_case(slug)
    revision = published.get_revision(slug, number)
    if case is None or revision is None:
        raise Http404
    context = _case_context(request, case, revision.snapshot)
    context.update(shown_revision=revision, comments=[])
    return render(request, "public/case.html", context)


@require_safe
@cache_control(**PUBLIC_CACHE)
def person_page(request: HttpRequest, slug: str) -> HttpResponse:
    found = published.get_public_person(slug)
    if found is None:
        raise Http404
    person, cases = found
    roles = []
    for case in cases:
        entry = next(p for p in case.snapshot["people"] if p["slug"] == slug)
        roles.append({"case": case, "role": entry["role"], "note": entry["note"]})
    return render(request, "public/person.html", {"person": person, "roles": roles})


@require_safe
@cache_control(**PUBLIC_CACHE)
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results = published.get_public_cases(search_case_ids(query)) if query else []
    return render(request, "public/search.html", {"query": query, "results": results})


@require_safe
@cache_control(public=True, max_age=3600)
def qr_code(request: HttpRequest, slug: str) -> HttpResponse:
    """The case page's address as an SVG QR code, for posters and screens."""
    import io

    import segno

    if published.get_public_case(slug) is None:
        raise Http404
    buffer = io.BytesIO()
    segno.make(absolute(reverse("public:case", args=[slug])), error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=None
    )
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@require_safe
def evidence_file(request: HttpRequest, name: str) -> FileResponse:
    """A published evidence file, by its hash-based name; never one that is not yet public."""
    found = published.get_public_file(name)  # the evidence file or a video's poster
    if found is None:
        raise Http404
    _evidence, stored, content_type = found
    response = FileResponse(stored.open("rb"), content_type=content_type)
    # A PDF is downloaded, not opened in the site's origin by the browser's viewer (the studio
    # writes PDFs of page images only; this keeps any viewer's scripting out of the site).
    disposition = "attachment" if content_type == "application/pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    # The name is the content's hash: the bytes behind this URL never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
@cache_control(public=True, max_age=300)
def export_ftm(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(exports.ftm_lines(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="jiandu-entities.ftm.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cache_control(public=True, max_age=300)
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in exports.CSV_TABLES:
        raise Http404
    response = HttpResponse(exports.csv_text(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="jiandu-{table}.csv"'
    return response


def comment(request: HttpRequest, slug: str) -> HttpResponse:
    """The comment form, on a page of its own: rendering its CSRF token starts a session, and
    the case page itself must stay cookieless and cacheable."""
    case = published.get_public_case(slug)
    if case is None or case.retracted:
        raise Http404
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("website"):
            # A bot filled the honeypot: answer as for anyone, keep nothing.
            return _comment_received(request, slug)
        if not throttle.comment_allowed(request):
            form.add_error(None, _("Too many comments from this connection. Try again in an hour."))
        elif form.is_valid():
            public_actions.do_post_comment(
                slug, form.cleaned_data["body"], form.cleaned_data["display_name"]
            )
            return _comment_received(request, slug)
    return render(request, "public/comment.html", {"case": case, "form": form})


def _comment_received(request: HttpRequest, slug: str) -> HttpResponse:
    return render(
        request,
        "core/message_page.html",
        {
            "heading": _("Thank you"),
            "text": _(
                "Your comment is waiting for a moderator. It appears on the case page once "
                "approved."
            ),
            "back_url": reverse("public:case", args=[slug]),
            "back_label": _("Back to the case"),
        },
    )
