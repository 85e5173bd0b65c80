"""Error pages in the site's style and language (handlers in config/views.py)."""

import pytest
from django.test import Client, RequestFactory

from config import views

pytestmark = pytest.mark.django_db


def test_not_found_page_is_in_the_sites_style(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到该页面" in html
    assert "css/site.css" in html and "回到首页" in html


def test_not_found_page_in_english_is_served_under_en(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert '<html lang="en">' in response.content.decode()


def test_bad_request_page_for_an_unknown_host():
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


def test_permission_denied_page(client):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = views.permission_denied(request)
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()


def test_server_error_page_renders_without_touching_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器开小差了" in html and "css/site.css" in html


def test_server_error_page_is_used_when_a_view_fails(monkeypatch):
    from activities import views as activity_views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(activity_views.selectors, "upcoming_activities", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/")
    assert response.status_code == 500
    assert "服务器开小差了" in response.content.decode()


def test_csrf_failure_page_explains_what_to_do(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident.user)
    response = client.post("/activities/1/sign-up/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and "刷新" in html
