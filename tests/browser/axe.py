"""Accessibility checks for the browser tests: axe-core (web/package.json's devDependency,
installed in web/node_modules) run inside a Playwright page.

Usage, in any browser test (the `new_page` and `server` fixtures of tests/browser/conftest.py):

    from tests.browser.axe import assert_accessible, axe_violations

    page = new_page()
    page.goto(server.url + "/dashboard")
    assert_accessible(page)                      # fails on any serious or critical violation
    assert_accessible(page, include="#keys")     # only a part of the page
    assert_accessible(page, exclude=[".chart"])  # all but some parts
    violations = axe_violations(page)            # the raw list, every impact, to inspect

`assert_accessible` fails with one line per violation (its rule id, impact, help text and link)
followed by every offending node (its CSS selector and axe's summary of what to fix), so a failure
says what to change without opening a report. Run it when the page shows what is to be checked
(after the content loaded, with the dialog or panel open); hidden elements are not checked.

axe-core is evaluated through the DevTools protocol (the page's CSP allows no inline script, and a
<script> tag Playwright would add is one), so the page itself needs no change to be checked.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


def inject_axe(page: Page) -> None:
    """Make `window.axe` available in the page (once per document)."""
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` in web/ (axe-core)")
    # A <script> tag works on a page without CSP; ours (script-src 'self') blocks it, and then
    # the same file is evaluated through the DevTools protocol, which no CSP applies to.
    with contextlib.suppress(PlaywrightError):
        page.add_script_tag(path=str(AXE_JS))
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"


def axe_violations(
    page: Page,
    include: str | list[str] | None = None,
    exclude: str | list[str] | None = None,
    rules: dict | None = None,
) -> list[dict]:
    """Run `axe.run()` on the page (or the `include` selectors minus `exclude`) with the WCAG 2.x
    A/AA and best-practice rules; return axe's violations (every impact), each a dict with
    `id`, `impact`, `help`, `helpUrl` and `nodes` (each with `target` and `failureSummary`).
    `rules` switches single rules, e.g. {"region": {"enabled": False}}."""
    inject_axe(page)
    context: dict = {}
    if include:
        context["include"] = [[s] for s in ([include] if isinstance(include, str) else include)]
    if exclude:
        context["exclude"] = [[s] for s in ([exclude] if isinstance(exclude, str) else exclude)]
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["rules"] = rules
    return page.evaluate(
        """async ([context, options]) => {
            // Colour contrast is computed from the styles of the moment: a toast fading in
            // (opacity animation) would be judged half-transparent. Let finite animations end.
            const settling = () => document.getAnimations().filter(
                a => a.playState === "running"
                    && a.effect && a.effect.getComputedTiming().endTime !== Infinity);
            for (let round = 0; round < 5 && settling().length; round++) {
                await Promise.race([
                    Promise.allSettled(settling().map(a => a.finished)),
                    new Promise(resolve => setTimeout(resolve, 2000)),
                ]);
            }
            const result = await window.axe.run(
                Object.keys(context).length ? context : document, options);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target, html: n.html, impact: n.impact,
                    failureSummary: n.failureSummary,
                })),
            }));
        }""",
        [context, options],
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        rule, impact = violation["id"], violation["impact"]
        lines.append(f"{rule} ({impact}): {violation['help']}  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            lines.append(f"    {target}: {summary}")
            lines.append(f"        {node['html'][:200]}")
    return "\n".join(lines)


def assert_accessible(
    page: Page,
    include: str | list[str] | None = None,
    exclude: str | list[str] | None = None,
    impacts: tuple[str, ...] = FAILING_IMPACTS,
    rules: dict | None = None,
) -> list[dict]:
    """Fail listing every violation whose impact is in `impacts` (serious or critical by
    default) with all its nodes; return the full list of violations otherwise."""
    violations = axe_violations(page, include=include, exclude=exclude, rules=rules)
    failing = [v for v in violations if v["impact"] in impacts]
    assert not failing, (
        f"axe-core: {len(failing)} {'/'.join(impacts)} accessibility violation(s) on "
        f"{page.url}:\n{format_violations(failing)}"
    )
    return violations
