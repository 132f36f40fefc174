"""The outbox delivery as a background task: enqueued after new outbox messages are committed,
and by the scheduler every minute for retries (registered in apps.py)."""

from django_tasks import task

from houqin.notifications.outbox import deliver_due


@task()
def deliver_outbox() -> dict[str, int]:
    """Send the due outbox messages; returns how many ended in each status."""
    return deliver_due()


__all__ = ["deliver_outbox"]
