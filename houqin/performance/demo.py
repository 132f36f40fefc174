"""The performance part of the demo: the default score weights, so that the demo's month is
ranked with them from the start (the rest is computed from the service desk's orders)."""

from houqin.performance.services import weights_in_force


def on_demo_seeded(sender, *, stdout=None, **kwargs) -> None:
    """`manage.py seed_demo` loaded the demo hospital (or found it): make sure the weights exist."""
    weights_in_force(by=None)
