"""Where scanned agreements live: under MEDIA_ROOT/agreements/, never served by the web
server, and linked to through `partners.document_views.agreement_document`, which only
staff and the party secretary may open."""

from django.core.files.storage import FileSystemStorage
from django.urls import reverse


class AgreementDocumentStorage(FileSystemStorage):
    def url(self, name):
        return reverse("partners:agreement_document", kwargs={"name": name})


def agreement_storage():
    """A callable, so that migrations name it instead of freezing a storage."""
    return AgreementDocumentStorage()
