"""The WeChat share picture (og:image and poster) and 加入日历 inside WeChat."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from activities import share
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db

WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2055A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F37)"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_share_image_is_a_1200_by_630_png_with_ink_on_it(client):
    activity = ActivityFactory(title="公益瑜伽课（中老年班）", place="小区党员阵地多功能厅")
    response = client.get(reverse("activities:share_image", args=[activity.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (1200, 630)
    # Title, facts and the QR code darken a good part of the picture.
    dark = sum(image.convert("L").histogram()[:100])
    assert dark > 20_000


def test_the_share_image_is_drawn_once_per_version_of_the_activity(client, media, monkeypatch):
    activity = ActivityFactory()
    calls = []
    real = share.draw
    monkeypatch.setattr(share, "draw", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = reverse("activities:share_image", args=[activity.pk])
    client.get(url)
    client.get(url)
    assert len(calls) == 1
    activity.title = "消防演练（改期）"
    activity.save()
    client.get(url)
    assert len(calls) == 2
    # The old version's file is gone; one file per activity and language.
    assert len(list((media / "share").glob(f"activity-{activity.pk}-*.png"))) == 1


def test_og_image_and_poster_use_the_share_image(client):
    activity = ActivityFactory()
    image_url = reverse("activities:share_image", args=[activity.pk])
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert f'property="og:image" content="http://testserver{image_url}"' in detail
    poster = client.get(reverse("activities:poster", args=[activity.pk])).content.decode()
    assert f'src="{image_url}"' in poster


def test_add_to_calendar_explains_itself_inside_wechat(client):
    activity = ActivityFactory()
    detail = client.get(
        reverse("activities:detail", args=[activity.pk]), HTTP_USER_AGENT=WECHAT
    ).content.decode()
    assert "微信里不能直接加入手机日历。" in detail
    assert reverse("activities:ics", args=[activity.pk]) not in detail
    ics = client.get(reverse("activities:ics", args=[activity.pk]), HTTP_USER_AGENT=WECHAT)
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/html")
    assert "在浏览器打开" in ics.content.decode()


def test_other_browsers_get_the_calendar_file(client):
    activity = ActivityFactory()
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert reverse("activities:ics", args=[activity.pk]) in detail
    ics = client.get(reverse("activities:ics", args=[activity.pk]))
    assert ics["Content-Type"].startswith("text/calendar")
