import factory
from factory.django import DjangoModelFactory

from houqin.accounts.models import User
from houqin.org import models


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


def in_english(user):
    """Let the user read the pages in English (User.language wins over the site's Chinese), for
    tests of behaviour rather than of the words a Chinese user reads."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = models.Site

    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"院区{n}")


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = models.Location

    code = factory.Sequence(lambda n: f"L{n}")
    name = factory.Sequence(lambda n: f"楼{n}")
    kind = models.LocationKind.BUILDING
    site = factory.SubFactory(SiteFactory)
    parent = None


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = models.Department

    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"科室{n}")
    kind = models.DepartmentKind.CLINICAL
    cost_center = factory.Sequence(lambda n: f"CC{n:04d}")
    site = factory.SubFactory(SiteFactory)


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = models.Company

    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"公司{n}")
    kind = models.CompanyKind.CONTRACTOR


class TradeFactory(DjangoModelFactory):
    class Meta:
        model = models.Trade

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"工种{n}")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = models.Team

    code = factory.Sequence(lambda n: f"TM{n}")
    name = factory.Sequence(lambda n: f"班组{n}")
    company = factory.SubFactory(CompanyFactory)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = models.Person

    employee_no = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    company = factory.SubFactory(CompanyFactory)
    employment_type = models.EmploymentType.OUTSOURCED


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = models.Certificate

    person = factory.SubFactory(PersonFactory)
    name = "低压电工作业证"
    number = factory.Sequence(lambda n: f"CERT{n}")


class DirectoryEntryFactory(DjangoModelFactory):
    class Meta:
        model = models.DirectoryEntry

    number = factory.Sequence(lambda n: f"8{n:03d}")
    label = factory.Sequence(lambda n: f"护士站{n}")
