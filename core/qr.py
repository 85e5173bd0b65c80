"""QR codes as inline SVG (segno), for check-in codes and posters."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(data: str, *, scale: int = 1, border: int = 2, title: str = "", css_class: str = ""):
    """A full QR code (never a Micro QR, which many phone scanners cannot read) of `data`."""
    svg = segno.make(data, micro=False, error="m").svg_inline(
        scale=scale,
        border=border,
        omitsize=scale == 1,
        dark="#000",
        light="#fff",
        title=title or None,
        svgclass=css_class or "segno",
    )
    return mark_safe(svg)  # noqa: S308 - segno writes the markup; `data` is only encoded
