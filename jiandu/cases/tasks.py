"""Background work of the case desk: one-person publications whose hold has passed.

A request under the one-person policy queues `publish_held_case` for the end of its hold
(`run_after`), after the commit. The task decides nothing itself: `do_publish_due_hold`
publishes only a hold that is still waiting and due, so a stopped, cancelled or early run
changes nothing, and running it twice publishes once. `jiandu serve` queues it again for every
waiting hold (`CasesConfig.on_serve`), so a queue lost with a restarted worker loses no hold.
The arguments and the result are ids and numbers only.
"""

from django.tasks import task


@task
def publish_held_case(hold_id: int) -> int:
    """Publish the held case if its hold has passed; returns the revision number, or 0."""
    from jiandu.cases.actions import do_publish_due_hold

    revision = do_publish_due_hold(hold_id)
    return revision.number if revision is not None else 0


def schedule_waiting_holds() -> int:
    """Queue the task again for each waiting hold (at its end, or now if it has passed)."""
    from jiandu.cases.models import HoldState, PublicationHold

    holds = list(PublicationHold.objects.filter(state=HoldState.WAITING))
    for hold in holds:
        publish_held_case.using(run_after=hold.publish_after).enqueue(hold.pk)
    return len(holds)
