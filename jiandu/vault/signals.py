"""The vault's one domain signal, for rooms above it.

`submission_stored` is sent after the commit of a new submission (a source's first or a later
one), with `source_id` and `submission_id`: the newsroom makes the source's triage row and tells
the members who asked to hear of new activity. A side effect only: nothing a receiver does can
undo or refuse the submission, which is stored by then (issue 20, item 5; the newsroom used to
listen to the save signals of the vault's models).
"""

from django.dispatch import Signal

submission_stored = Signal()
