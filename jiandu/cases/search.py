"""Search over published cases that handles Chinese.

Every indexed text and every query is folded (jiandu.cases.text.fold): simplified script, case
folded, so 重慶 finds 重庆 and "lei zhengfu" finds "Lei Zhengfu". Chinese has no spaces, so
matching is by substring, backed by a trigram index on each database:

- SQLite: an FTS5 table with the trigram tokenizer (`cases_search_fts`), used for terms of
  three characters or more; shorter terms (重庆 is two) fall back to a LIKE scan of the
  folded text, which is small.
- PostgreSQL: a pg_trgm GIN index on the folded text, which serves LIKE for any length.

The index holds only what a published revision holds; it is rewritten on each publication.
"""

from typing import Any

from django.db import connection

from jiandu.cases.models import SearchDocument
from jiandu.cases.text import fold

FTS_TABLE = "cases_search_fts"
MAX_TERMS = 8


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


# Snapshot keys whose values are codes, dates or addresses rather than words a reader types.
NOT_TEXT = {
    "schema",
    "evidence",
    "type",
    "at",
    "precision",
    "role",
    "status",
    "n",
    "date",
    "start",
    "end",
    "start_precision",
    "end_precision",
    "url",
    "citations",
}


def _words(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _words(v) for k, v in value.items() if k not in NOT_TEXT}
    if isinstance(value, list):
        return [_words(v) for v in value]
    return value


def document_text(snapshot: dict[str, Any]) -> str:
    parts = _texts(_words(snapshot))
    parts += [c["caption"]["zh"] + " " + c["caption"]["en"] for c in snapshot.get("evidence", [])]
    return fold(" ".join(p for p in parts if p))


def index_case(case_id: int, snapshot: dict[str, Any]) -> None:
    body = document_text(snapshot)
    SearchDocument.objects.update_or_create(case_id=case_id, defaults={"body": body})
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [case_id])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
                [case_id, body],
            )


def search_case_ids(query: str) -> list[int]:
    """Ids of indexed cases whose text holds every term of `query` (folded)."""
    terms = [t for t in fold(query).split(" ") if t][:MAX_TERMS]
    if not terms:
        return []
    documents = SearchDocument.objects.all()
    long_terms = [t for t in terms if len(t) >= 3]
    if connection.vendor == "sqlite" and long_terms:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
                [match],
            )
            ids = [row[0] for row in cursor.fetchall()]
        documents = documents.filter(case_id__in=ids)
        terms = [t for t in terms if len(t) < 3]
    for term in terms:
        documents = documents.filter(body__contains=term)
    return list(documents.values_list("case_id", flat=True))


# Migration helpers: the index each database needs beside the SearchDocument table.
def create_search_index(apps: object, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, tokenize='trigram')"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS cases_searchdocument_body_trgm "
            "ON cases_searchdocument USING gin (body gin_trgm_ops)"
        )


def drop_search_index(apps: object, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cases_searchdocument_body_trgm")
