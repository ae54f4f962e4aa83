"""`{{ record.subject|custody_subject }}`, `{{ record.reason|custody_reason }}`: the custody
log's stored strings in the reader's language (jiandu/ledger/labels.py)."""

from django import template

from jiandu.ledger.labels import reason_label, subject_label

register = template.Library()


@register.filter
def custody_subject(subject: str) -> str:
    return subject_label(subject)


@register.filter
def custody_reason(reason: str) -> str:
    return reason_label(reason)
