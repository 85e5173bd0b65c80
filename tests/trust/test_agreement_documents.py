"""Scanned agreements: random names, a size limit, a content check, and served only to
staff and the party secretary through an authenticated view (logos stay public)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.models import Agreement
from tests.factories import ComplexFactory, PartnerFactory, ResidentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ADD = reverse("admin:partners_agreement_add")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _form(document, **overrides):
    data = {
        "partner": PartnerFactory().pk,
        "complex": ComplexFactory().pk,
        "title": "入驻协议",
        "number": "",
        "status": "active",
        "signed_on": "2026-03-01",
        "starts_on": "2026-03-01",
        "ends_on": "2027-02-28",
        "renews": "",
        "note": "",
        "document": document,
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def _upload(client, name="蓝天救援队协议.pdf", content=PDF):
    return client.post(ADD, _form(SimpleUploadedFile(name, content)))


def test_an_uploaded_agreement_gets_a_random_name(staff_client):
    response = _upload(staff_client)
    assert response.status_code == 302, response.content.decode()[:2000]
    name = Agreement.objects.get().document.name
    assert re.fullmatch(r"agreements/[0-9a-f]{32}\.pdf", name)
    assert "蓝天" not in name


def test_two_uploads_of_the_same_file_get_different_names(staff_client):
    _upload(staff_client)
    _upload(staff_client)
    names = {a.document.name for a in Agreement.objects.all()}
    assert len(names) == 2


def test_a_file_that_is_not_what_its_name_says_is_refused(staff_client):
    response = _upload(staff_client, name="协议.pdf", content=b"<html><script>alert(1)</script>")
    assert response.status_code == 200
    assert "文件内容不是 PDF、JPG 或 PNG" in response.content.decode()
    assert not Agreement.objects.exists()


def test_a_png_named_pdf_is_refused_but_a_png_is_accepted(staff_client):
    assert _upload(staff_client, name="协议.pdf", content=PNG).status_code == 200
    assert _upload(staff_client, name="协议.png", content=PNG).status_code == 302


def test_a_file_over_the_size_limit_is_refused(staff_client, settings):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = 100
    response = _upload(staff_client, content=PDF + b"0" * 200)
    assert response.status_code == 200
    assert "文件太大" in response.content.decode()
    assert not Agreement.objects.exists()


def test_the_document_link_goes_through_the_authenticated_view(staff_client):
    _upload(staff_client)
    agreement = Agreement.objects.get()
    url = agreement.document.url
    assert not url.startswith("/media/")
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    change = staff_client.get(reverse("admin:partners_agreement_change", args=[agreement.pk]))
    assert url in change.content.decode()


def test_the_secretary_reads_documents(staff_client, secretary_user, client):
    _upload(staff_client)
    url = Agreement.objects.get().document.url
    client.force_login(secretary_user)
    assert client.get(url).status_code == 200


def test_strangers_and_residents_cannot_read_documents(staff_client, client):
    _upload(staff_client)
    url = Agreement.objects.get().document.url
    staff_client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    client.force_login(ResidentFactory().user)
    assert client.get(url).status_code == 403


def test_unknown_and_traversing_names_are_404(staff_client):
    base = reverse("partners:agreement_document", kwargs={"name": "agreements/x.pdf"})
    assert staff_client.get(base).status_code == 404
    assert staff_client.get(base.replace("x.pdf", "../../settings.py")).status_code == 404
    assert staff_client.get(base.replace("x.pdf", "%00.pdf")).status_code == 404


def test_partner_logos_stay_public_files():
    from partners.models import Partner

    field = Partner._meta.get_field("logo")
    assert field.storage.url("partners/logos/a.png").startswith("/media/")
