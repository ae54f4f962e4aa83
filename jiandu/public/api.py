"""The read-only JSON API: the published snapshots themselves, with the computed metrics.

Open to any site (CORS `*`, cross-origin resource policy): everything here is public.
"""

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from jiandu.cases import metrics, published

API_VERSION = 1


def _span(span: metrics.Elapsed | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {
        "amount": span.amount,
        "unit": span.unit,
        "exact": span.exact,
        "low_hours": span.low_hours,
        "high_hours": span.high_hours,
    }


def metrics_data(m: metrics.CaseMetrics) -> dict[str, Any]:
    return {
        "to_first_response": _span(m.to_first_response),
        "to_confirmation": _span(m.to_confirmation),
        "to_removal": _span(m.to_removal),
        "officials_named": list(m.officials_named),
        "officials_still_in_post": list(m.officials_still_in_post),
    }


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def case_summary(case: published.PublicCase) -> dict[str, Any]:
    return {
        "slug": case.slug,
        "title": case.snapshot["title"],
        "status": case.snapshot.get("status"),
        "revision": case.revision.number,
        "first_published_at": case.first_published_at.isoformat(),
        "updated_at": case.revision.published_at.isoformat(),
        "url": reverse("public:case", args=[case.slug]),
        "api_url": reverse("public:api_case", args=[case.slug]),
    }


@require_safe
@cache_control(public=True, max_age=60)
def cases(request: HttpRequest) -> JsonResponse:
    return _json(
        {"version": API_VERSION, "cases": [case_summary(c) for c in published.get_public_cases()]}
    )


@require_safe
@cache_control(public=True, max_age=60)
def case(request: HttpRequest, slug: str) -> JsonResponse:
    found = published.get_public_case(slug)
    if found is None:
        raise Http404
    revisions = [
        {
            "number": r.number,
            "kind": r.kind,
            "note": r.note,
            "published_at": r.published_at.isoformat(),
        }
        for r in published.get_revisions(slug)
    ]
    return _json(
        {
            "version": API_VERSION,
            **case_summary(found),
            "case": found.snapshot,
            "metrics": metrics_data(found.metrics()),
            "revisions": revisions,
        }
    )


@require_safe
@cache_control(public=True, max_age=60)
def person(request: HttpRequest, slug: str) -> JsonResponse:
    found = published.get_public_person(slug)
    if found is None:
        raise Http404
    data, cases_ = found
    return _json(
        {"version": API_VERSION, "person": data, "cases": [case_summary(c) for c in cases_]}
    )
