"""Accessibility checks in real Chromium: axe-core's WCAG 2.1 AA rules and a keyboard walk.

axe-core comes from the npm registry (.ci/run installs it outside the repository).
"""

from pathlib import Path
from typing import Any

import pytest

AXE = Path.home() / ".cache" / "infoaudit-npm" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_context(browser: Any, **options: Any) -> Any:
    """A browser context that lets a test inject axe-core (the app itself allows no inline
    script, so its CSP is bypassed for the test only)."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: .ci/run installs it from the npm registry")
    context = browser.new_context(bypass_csp=True, locale="uk-UA", **options)
    context.set_default_timeout(90_000)  # a shared 2-core CI machine can be slow
    return context


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page, with the offending elements."""
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: tags})).violations.map(v => ({
               id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""",
        AXE_TAGS,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


# One key per stop of the Tab order: a radio group is one stop.
_KEY = """el => el.type === 'radio' ? 'radio:' + el.name
  : (el.id || (el.name ? el.name + '=' + el.value : (el.innerText || '').trim()))"""

_CONTROLS = f"""() => Array.from(document.querySelectorAll(
    'main a[href], main input:not([type=hidden]), main select, main textarea, main button'))
  .filter(el => !el.closest('[aria-hidden="true"]') && el.tabIndex >= 0 && !el.disabled)
  .map({_KEY})"""

_FOCUSED = f"""() => {{
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {{
    key: ({_KEY})(el), tag: el.tagName.toLowerCase(), id: el.id,
    name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '', text: (el.innerText || '').trim().slice(0, 80),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    on_screen: box.width > 1 && box.height > 1 && box.right > 0 && box.bottom > 0
      && box.left < innerWidth && box.top < innerHeight,
  }};
}}"""


def focused(page: Any) -> dict[str, Any] | None:
    """The focused element: what it is, whether it shows a focus outline and is on screen."""
    result: dict[str, Any] | None = page.evaluate(_FOCUSED)
    return result


# The page's script may have focused a field (the first error): Tab starts from the top again.
_FROM_TOP = """() => {
  const start = document.createElement('span');
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
}"""


def tab_through(page: Any, limit: int = 400) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves it or comes round again; every
    element reached, in order."""
    page.evaluate(_FROM_TOP)
    reached: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if element is None or (reached and element == reached[0]):
            return reached
        reached.append(element)
    raise AssertionError(f"Tab never left the page after {limit} presses")


def check_keyboard(page: Any) -> list[dict[str, Any]]:
    """From the top of the page: the skip link comes first and moves focus to the content;
    every element reached by Tab shows a focus outline and is on screen. The elements reached."""
    reached = tab_through(page)
    assert reached, "nothing on the page takes keyboard focus"
    assert reached[0]["text"] == "Перейти до змісту", reached[0]
    hidden = [e for e in reached if not (e["outline"] and e["on_screen"])]
    assert hidden == [], "focus not visible on these elements"
    missed = set(page.evaluate(_CONTROLS)) - {e["key"] for e in reached}
    assert missed == set(), "Tab never reaches these controls"
    if focused(page) != reached[0]:  # focus left the page: the next Tab comes round
        page.keyboard.press("Tab")
    assert focused(page) == reached[0]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", "the skip link goes nowhere"
    return reached
