import factory
from factory.django import DjangoModelFactory

from houqin.servicedesk.models import ServiceCategory


class ServiceCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCategory

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    requires_location = False


def backdate(order, created):
    """Give an order the creation time it would have had if made then (`created` is set on insert
    only). Saved through the ORM, as the services save, so what is derived from orders (the KPIs'
    daily rollup) follows."""
    order.created = created
    order.save(update_fields=["created"])
    return order
