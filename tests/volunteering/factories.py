"""factory_boy factories for volunteering's models."""

import factory
from factory.django import DjangoModelFactory

from tests.factories import ActivityFactory, PartnerFactory, ResidentFactory
from volunteering.models import (
    PartyMember,
    PointsRule,
    ReportingUnit,
    ServicePost,
    ShopItem,
    VolunteerRole,
)


class ServicePostFactory(DjangoModelFactory):
    class Meta:
        model = ServicePost
        django_get_or_create = ("name",)

    name = factory.Iterator(["楼栋长", "助老", "文明劝导", "应急"])


class ReportingUnitFactory(DjangoModelFactory):
    class Meta:
        model = ReportingUnit

    name = factory.Sequence(lambda n: f"报到单位{n}")


class PartyMemberFactory(DjangoModelFactory):
    """A reported party member who lives in the community."""

    class Meta:
        model = PartyMember

    resident = factory.SubFactory(ResidentFactory, is_party_member=True)


class VolunteerRoleFactory(DjangoModelFactory):
    class Meta:
        model = VolunteerRole

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Sequence(lambda n: f"引导员{n}")
    places = 4


class PointsRuleFactory(DjangoModelFactory):
    class Meta:
        model = PointsRule

    name = "每小时积分"
    kind = PointsRule.Kind.PER_HOUR
    points = 10


class ShopItemFactory(DjangoModelFactory):
    class Meta:
        model = ShopItem

    name = factory.Sequence(lambda n: f"商品{n}")
    partner = factory.SubFactory(PartnerFactory)
    points = 50
    stock = 5
