"""The ledger's domain signal: sent for side effects only, never to ask permission."""

from django.dispatch import Signal

# Sent from the background task that follows a publication (tasks.after_publication), after
# the configured witnesses were asked to cosign the new checkpoint, so that what is written on
# it (the public room's static mirror) carries the cosignatures. No arguments; a receiver may
# return how many files it wrote, which the task reports (counts only, nothing secret).
log_updated = Signal()
