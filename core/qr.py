"""QR codes as inline SVG (segno), for check-in codes and posters."""

from functools import lru_cache

import segno
from django.utils.safestring import mark_safe


def qr_svg(data: str, *, scale: int = 1, border: int = 2, title: str = "", css_class: str = ""):
    """A full QR code (never a Micro QR, which many phone scanners cannot read) of `data`."""
    return mark_safe(_svg(data, scale, border, title, css_class))  # noqa: S308 - segno's markup


@lru_cache(maxsize=2048)
def _svg(data: str, scale: int, border: int, title: str, css_class: str) -> str:
    """Encoding one code takes ~5 ms and /me/ shows one per sign-up: each is drawn once per
    process (a check-in URL never changes; ~3 KB each)."""
    return segno.make(data, micro=False, error="m").svg_inline(
        scale=scale,
        border=border,
        omitsize=scale == 1,
        dark="#000",
        light="#fff",
        title=title or None,
        svgclass=css_class or "segno",
    )
