"""The daily rollup's background job: the scheduler's `insight.fold_rollup`, every minute
(registered in apps.py), recomputes the rollup rows that changes of orders have marked."""

from django_tasks import task

from houqin.insight import rollup


@task()
def fold_rollup() -> int:
    """Fold the marks written since the last run; returns how many were settled."""
    settled = total = rollup.fold()
    # A backlog larger than one batch (a bulk change) is worked off in the same run.
    while settled == rollup.FOLD_BATCH:
        settled = rollup.fold()
        total += settled
    return total


__all__ = ["fold_rollup"]
