"""Checks for files people upload: a size limit and a content check by magic bytes.

A file's name says nothing of what it holds: a scanned agreement named `协议.pdf` must
start like a PDF (or a JPEG or PNG, if it was photographed), and no upload may be larger
than the setting allows.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

#: The first bytes of each kind of file we accept, by extension.
MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff(file) -> str | None:
    """The kind of file ("pdf", "jpg", "png") its first bytes show, or None."""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    for kind, starts in MAGIC.items():
        if any(head.startswith(start) for start in starts):
            return "jpg" if kind == "jpeg" else kind
    return None


@deconstructible
class ContentMatchesExtension:
    """The file's bytes are of one of `extensions` and match its own extension."""

    def __init__(self, extensions):
        self.extensions = tuple(extensions)

    def __call__(self, file):
        extension = PurePath(file.name).suffix.lower().lstrip(".")
        extension = "jpg" if extension == "jpeg" else extension
        kind = sniff(file)
        if kind is None or kind != extension or kind not in self.extensions:
            raise ValidationError(
                _("文件内容不是 PDF、JPG 或 PNG，或与文件扩展名不符，请重新扫描后上传。"),
                code="file_content",
            )

    def __eq__(self, other):
        return isinstance(other, ContentMatchesExtension) and self.extensions == other.extensions


@deconstructible
class MaxUploadSize:
    """No larger than the setting `setting_name` (bytes), read when the file is checked."""

    def __init__(self, setting_name: str):
        self.setting_name = setting_name

    def __call__(self, file):
        limit = getattr(settings, self.setting_name)
        if file.size > limit:
            raise ValidationError(
                _("文件太大（%(size)s），最大 %(limit)s。")
                % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
                code="file_too_large",
            )

    def __eq__(self, other):
        return isinstance(other, MaxUploadSize) and self.setting_name == other.setting_name


@deconstructible
class RandomName:
    """`upload_to` that stores each file under `folder/` with a random name, keeping only
    its (lower-case) extension: names say nothing and cannot be guessed."""

    def __init__(self, folder: str):
        self.folder = folder.strip("/")

    def __call__(self, instance, filename):
        extension = PurePath(filename).suffix.lower()
        return f"{self.folder}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and self.folder == other.folder
