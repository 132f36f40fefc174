import factory
from factory.django import DjangoModelFactory

from houqin.servicedesk.models import ServiceCategory


class ServiceCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCategory

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    requires_location = False
