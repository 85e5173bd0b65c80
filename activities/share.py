"""The share image of an activity (for WeChat chats and Moments, og:image, the poster):
title, time, place and a QR code of the activity's page, drawn with Pillow in the Noto
CJK font Debian's fonts-noto-cjk installs.

Images are files under MEDIA_ROOT/share/, keyed by the activity's `updated_at` and the
language: an edited activity gets a new image, an unchanged one is drawn once.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import segno
from django.conf import settings
from django.utils.translation import get_language, gettext as _
from PIL import Image, ImageDraw, ImageFont

from .models import Activity

#: Noto Sans CJK (fonts-noto-cjk); face 2 of the collection is Simplified Chinese.
FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BOLD_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
FONT_INDEX = 2
SIZE = (1200, 630)  # what chat apps and og:image expect
RED = (179, 38, 30)
INK = (33, 33, 33)
MUTED = (90, 90, 90)
PAPER = (255, 253, 249)


def _font(size: int, *, bold: bool = False):
    path = BOLD_FONT_PATH if bold else FONT_PATH
    try:
        return ImageFont.truetype(path, size, index=FONT_INDEX)
    except OSError:  # the font is missing: boxes for Chinese, but an image all the same
        return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of `text` no wider than `width` (Chinese wraps between any two characters)."""
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) <= width:
            line += ch
            continue
        lines.append(line)
        line = ch.lstrip()
        if len(lines) == max_lines:
            break
    if len(lines) < max_lines and line:
        lines.append(line)
    if len(lines) == max_lines and "".join(lines) != text.replace("\n", ""):
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def draw(activity: Activity, *, url: str, when: str, community: str) -> bytes:
    """The PNG of the share image."""
    image = Image.new("RGB", SIZE, PAPER)
    pen = ImageDraw.Draw(image)
    pen.rectangle([0, 0, SIZE[0], 96], fill=RED)
    pen.text((48, 22), f"{community} · {_('共建活动')}", font=_font(40, bold=True), fill="white")

    qr_size = 360
    qr = segno.make(url, micro=False, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=10, border=2)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").resize((qr_size, qr_size))
    left_qr = SIZE[0] - qr_size - 48
    image.paste(code, (left_qr, 136))
    caption = _("微信扫一扫 · 查看详情并报名")
    caption_font = _font(26)
    caption_width = pen.textlength(caption, font=caption_font)
    pen.text(
        (left_qr + (qr_size - caption_width) / 2, 136 + qr_size + 16),
        caption,
        font=caption_font,
        fill=MUTED,
    )

    text_width = left_qr - 48 - 40
    y = 136
    title_font = _font(60, bold=True)
    for line in _wrap(pen, activity.title, title_font, text_width, 3):
        pen.text((48, y), line, font=title_font, fill=INK)
        y += 78
    y += 20
    fact_font = _font(36)
    for label, value in ((_("时间"), when), (_("地点"), activity.place)):
        pen.text((48, y), label, font=_font(36, bold=True), fill=RED)
        for line in _wrap(pen, value, fact_font, text_width - 100, 2):
            pen.text((148, y), line, font=fact_font, fill=INK)
            y += 50
        y += 10
    if activity.is_cancelled:
        pen.text((48, SIZE[1] - 90), _("本活动已取消"), font=_font(44, bold=True), fill=RED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "share"


def cached_image(activity: Activity, *, url: str, when: str, community: str) -> Path:
    """The share image's file, drawn if this version of the activity has none yet."""
    folder = share_dir()
    stamp = int(activity.updated_at.timestamp() * 1_000_000) if activity.updated_at else 0
    language = (get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    path = folder / f"activity-{activity.pk}-{stamp}-{language}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    data = draw(activity, url=url, when=when, community=community)
    # Written aside and renamed: a reader never sees half an image.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    for old in folder.glob(f"activity-{activity.pk}-*-{language}.png"):
        if old != path:
            old.unlink(missing_ok=True)
    return path
