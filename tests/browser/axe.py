"""axe-core (vendored from npm in tests/browser/vendor/axe-core/, for the tests only: the
site never serves it) and the 16 px check, run in a Playwright page.

axe is loaded with `page.evaluate`, which the page's Content-Security-Policy does not
govern, so the page is checked under its real CSP."""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

# Visible elements that hold text of their own, with a computed size under 16 px.
SMALL_TEXT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('.visually-hidden, .visually-hidden-focusable, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (!el.getBoundingClientRect().width) continue;
    const size = parseFloat(style.fontSize);
    if (size < 16) out.push(`${el.tagName.toLowerCase()}.${el.className} ${size}px «${el.textContent.trim().slice(0, 20)}»`);
  }
  return out;
}"""


def serious_violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE)


def small_text(page) -> list[str]:
    return page.evaluate(SMALL_TEXT)
