import pytest

from activities import services
from tests.factories import ActivityFactory, ResidentFactory


@pytest.mark.django_db
def test_factories_build_a_sign_up_through_the_service():
    result = services.sign_up(activity=ActivityFactory(), resident=ResidentFactory())
    assert result.created
    assert result.signup.status == "confirmed"
