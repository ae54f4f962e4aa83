"""Domain signals of the forensics room, sent after the commit by its actions."""

from django.dispatch import Signal

# An evidence item's derived verification status may have changed (a checklist entry was
# recorded). Arguments: item_id (int), status ("unverified", "partly", "verified", "disputed").
# The cases room brings its published derivatives of that item up to date.
verification_changed = Signal()
