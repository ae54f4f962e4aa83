"""The OpenAPI 3.1 description of the public JSON API (jiandu.public.api), served at
/cases/api/openapi.json so re-users can generate clients and testers can check the API against
it (tests/security/test_api_schema.py runs schemathesis on it).

Written by hand, next to the views it describes: the snapshot a case page is rendered from is
versioned (`schema`), and a new field there means a new line here, which the schema test
catches (`additionalProperties: false` on the API's own objects)."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from jiandu.public.api import API_VERSION


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], *, closed: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": not closed,
    }


STRING = {"type": "string"}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE = {"type": ["string", "null"]}
PRECISION = {"type": "string", "enum": ["hour", "day", "month", "year"]}
TEXT = _obj({"zh": STRING, "en": STRING})  # every text is written once per language
SLUG = {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"}
SPAN = {
    "oneOf": [
        {"type": "null"},
        _obj(
            {
                "amount": {"type": "integer"},
                "unit": STRING,
                "exact": {"type": "boolean"},
                "low_hours": {"type": "number"},
                "high_hours": {"type": "number"},
            }
        ),
    ]
}

SUMMARY = {
    "slug": SLUG,
    "title": _ref("Text"),
    "status": {"type": "string", "enum": ["published", "retracted"]},
    "revision": {"type": "integer", "minimum": 1},
    "first_published_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "url": STRING,
    "api_url": STRING,
}

SCHEMAS: dict[str, Any] = {
    "Text": TEXT,
    "CaseSummary": _obj(SUMMARY),
    "Position": _obj(
        {
            "title": _ref("Text"),
            "organisation": _ref("Text"),
            "place": _ref("Text"),
            "start": NULLABLE_DATE,
            "start_precision": PRECISION,
            "end": NULLABLE_DATE,
            "end_precision": PRECISION,
        }
    ),
    "Person": _obj(
        {
            "slug": SLUG,
            "name": _ref("Text"),
            "summary": _ref("Text"),
            "positions": {"type": "array", "items": _ref("Position")},
        }
    ),
    # The published snapshot itself (jiandu.cases.snapshot); versioned by `schema`, so it is
    # described as far as readers rely on it and left open for additions.
    "Snapshot": _obj(
        {
            "schema": {"type": "integer"},
            "slug": SLUG,
            "title": _ref("Text"),
            "summary": _ref("Text"),
            "people": {"type": "array", "items": {"type": "object"}},
            "citations": {"type": "array", "items": {"type": "object"}},
            "events": {"type": "array", "items": {"type": "object"}},
            "claims": {"type": "array", "items": {"type": "object"}},
            "evidence": {"type": "array", "items": {"type": "object"}},
            "status": STRING,
        },
        closed=False,
    ),
    "Metrics": _obj(
        {
            "to_first_response": SPAN,
            "to_confirmation": SPAN,
            "to_removal": SPAN,
            "officials_named": {"type": "array", "items": STRING},
            "officials_still_in_post": {"type": "array", "items": STRING},
        }
    ),
    "Revision": _obj(
        {
            "number": {"type": "integer", "minimum": 1},
            "kind": {"type": "string", "enum": ["publication", "update", "retraction"]},
            "note": STRING,
            "published_at": DATE_TIME,
        }
    ),
    "CaseList": _obj(
        {
            "version": {"const": API_VERSION},
            "cases": {"type": "array", "items": _ref("CaseSummary")},
        }
    ),
    "CaseDetail": _obj(
        {
            "version": {"const": API_VERSION},
            **SUMMARY,
            "case": _ref("Snapshot"),
            "metrics": _ref("Metrics"),
            "revisions": {"type": "array", "items": _ref("Revision")},
        }
    ),
    "PersonDetail": _obj(
        {
            "version": {"const": API_VERSION},
            "person": _ref("Person"),
            "cases": {"type": "array", "items": _ref("CaseSummary")},
        }
    ),
}


def _json_answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


NOT_FOUND = {"description": "No published case or person by that slug (HTML page)."}
# jiandu.core.middleware.RejectBadBytes: a NUL, a control character or invalid UTF-8 anywhere
# in the address is refused before any view runs.
BAD_BYTES = {"description": "Unreadable characters in the address (HTML page)."}
SLUG_PARAMETER = {"name": "slug", "in": "path", "required": True, "schema": SLUG}


def schema() -> dict[str, Any]:
    """The document. Paths carry no language prefix (Simplified Chinese, the default); the
    same API answers under /en/ and /zh-hant/ with the same data."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Jiandu public API",
            "version": str(API_VERSION),
            "description": "Published cases and people, as the public pages show them. "
            "Read-only, open to any site (CORS *).",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/cases/api/cases.json": {
                "get": {
                    "operationId": "listCases",
                    "summary": "Every published or retracted case.",
                    "responses": {
                        "200": _json_answer("The cases.", "CaseList"),
                        "400": BAD_BYTES,
                    },
                }
            },
            "/cases/api/cases/{slug}.json": {
                "get": {
                    "operationId": "getCase",
                    "summary": "One case: its current snapshot, metrics and revisions.",
                    "parameters": [SLUG_PARAMETER],
                    "responses": {
                        "200": _json_answer("The case.", "CaseDetail"),
                        "400": BAD_BYTES,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/cases/api/people/{slug}.json": {
                "get": {
                    "operationId": "getPerson",
                    "summary": "One person named in a published case, with those cases.",
                    "parameters": [SLUG_PARAMETER],
                    "responses": {
                        "200": _json_answer("The person.", "PersonDetail"),
                        "400": BAD_BYTES,
                        "404": NOT_FOUND,
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }


@require_safe
@cache_control(public=True, max_age=3600)
def openapi(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(schema(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
