"""Where import jobs keep the uploaded files: under PRIVATE_ROOT/imports/, outside
MEDIA_ROOT, with random names and no URL at all (no view serves them; the worker reads them
and they are deleted when the job ends or expires)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """PRIVATE_ROOT, read each time (not frozen when the model is loaded)."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return os.fspath(settings.PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no URL")


def private_storage():
    """A callable, so that migrations name it instead of freezing a storage."""
    return PrivateStorage()
