"""Signals other rooms listen to: the public site drops its cached pages when one fires."""

from django.dispatch import Signal

# Sent after the commit of every new public revision (publication, update, retraction),
# with `case` and `revision`.
case_published = Signal()
