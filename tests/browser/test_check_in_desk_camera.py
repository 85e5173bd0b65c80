"""The check-in desk on a 360 px phone in Debian's chromium, whose camera is a file: 30 JPEG
frames (640×480) with a resident's check-in QR code in the middle. The desk's scanner (jsQR)
reads it and checks the resident in at once, under the real CSP (screenshot /tmp/desk.png)."""

import io

import pytest
import segno
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from activities import services
from tests.browser.conftest import CHROMIUM
from tests.browser.test_summary_browser import log_in
from tests.factories import ActivityFactory, HouseholdFactory, ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def camera_file(path, text: str) -> None:
    """An MJPEG file Chromium plays as its camera: the QR code of `text` on white frames."""
    png = io.BytesIO()
    segno.make(text, micro=False, error="m").save(png, kind="png", scale=6, border=4)
    qr = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    jpeg = io.BytesIO()
    frame.save(jpeg, format="JPEG", quality=90)
    path.write_bytes(jpeg.getvalue() * 30)


@pytest.fixture
def camera_browser(playwright, tmp_path_factory, request):
    """A chromium whose fake camera shows `request.param`'s file (set by the test)."""
    browsers = []

    def launch(video):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


def test_the_desk_camera_reads_a_residents_qr_code_and_checks_them_in(
    camera_browser, live_server, tmp_path
):
    staff = get_user_model().objects.create_superuser("desk", password="x")
    activity = ActivityFactory(at_the_door=True, title="太极拳")
    resident = ResidentFactory(user=None, name="王桂英", household=HouseholdFactory(room="502"))
    signup = services.sign_up(activity=activity, resident=resident).signup
    link = live_server.url + reverse(
        "activities:check_in_link", args=[activity.pk, signup.check_in_code]
    )
    video = tmp_path / "qr.mjpeg"
    camera_file(video, link)

    browser = camera_browser(video)
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    log_in(page, live_server, staff)
    page.goto(live_server.url + reverse("admin:activities_activity_check_in", args=[activity.pk]))

    page.get_by_role("button", name="用摄像头扫码签到").click()

    result = page.locator("#desk-result")
    expect(result).to_be_visible(timeout=15_000)
    expect(result).to_contain_text("签到成功")
    expect(result.locator(".desk-result-name")).to_have_text("王桂英")
    expect(result).to_contain_text("502")
    page.screenshot(path="/tmp/desk.png", full_page=True)
    signup.refresh_from_db()
    assert signup.attended and signup.checked_in_by == staff
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
    context.close()
