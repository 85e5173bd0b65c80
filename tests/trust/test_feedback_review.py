"""A published quote that its author changes waits for staff to publish it again."""

import pytest
from django.urls import reverse

from activities import selectors, services
from activities.models import Feedback
from tests.factories import ActivityFactory, ResidentFactory, hold

pytestmark = pytest.mark.django_db


def _published(comment="老师很耐心", rating=5):
    activity = ActivityFactory(at_the_door=True)
    resident = ResidentFactory()
    signup = services.sign_up(activity=activity, resident=resident).signup
    signup = services.check_in(activity=activity, code=signup.check_in_code)
    hold(activity)
    signup.refresh_from_db()
    feedback = services.leave_feedback(
        signup=signup, rating=rating, comment=comment, may_publish=True
    )
    services.publish_feedback(feedback=feedback)
    return signup


def test_changed_words_of_published_feedback_are_unpublished():
    signup = _published()
    feedback = services.leave_feedback(
        signup=signup, rating=5, comment="广告：加微信 xxx", may_publish=True
    )
    assert feedback.is_published is False
    assert list(selectors.published_feedback(activity=signup.activity)) == []


def test_a_changed_rating_of_published_feedback_is_unpublished():
    signup = _published()
    feedback = services.leave_feedback(
        signup=signup, rating=1, comment="老师很耐心", may_publish=True
    )
    assert feedback.is_published is False


def test_saving_the_same_words_again_keeps_it_published():
    signup = _published()
    feedback = services.leave_feedback(
        signup=signup, rating=5, comment="老师很耐心", may_publish=True
    )
    assert feedback.is_published is True


def test_staff_publish_the_changed_words_again():
    signup = _published()
    feedback = services.leave_feedback(signup=signup, rating=4, comment="改过", may_publish=True)
    assert services.publish_feedback(feedback=feedback).is_published is True


def test_an_edit_through_the_site_hides_the_quote_from_the_public_page(client):
    signup = _published()
    client.force_login(signup.resident.user)
    url = reverse("activities:feedback", args=[signup.pk])
    response = client.post(url, {"rating": "5", "comment": "改过的话", "may_publish": "on"})
    assert response.status_code == 302
    assert Feedback.objects.get(signup=signup).is_published is False
    page = client.get(reverse("activities:detail", args=[signup.activity.pk]))
    assert "改过的话" not in page.content.decode()
