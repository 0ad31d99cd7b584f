"""Browser checks for Playwright tests: axe-core, screenshots, console errors and CSP violations."""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

# Debian's Chromium; Playwright is never allowed to download a browser of its own.
CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    # Containers and CI runners have no user namespaces for Chromium's sandbox.
    "--no-sandbox",
    "--disable-gpu",
    # Nothing but the local test server is contacted: no QUIC probes, no first-run, update,
    # sync or other background requests that could slow a test down or leak from CI.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# WCAG 2.0 and 2.1, levels A and AA: what Danish public-sector websites must meet
# (webtilgængelighedsloven, EN 301 549).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

_SCREENSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# The name under which CSP violations are reported from the page to Python.
_CSP_BINDING = "__skrankeReportCspViolation"
_CSP_LISTENER = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  window.{_CSP_BINDING}({{
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    document: event.documentURI,
  }});
}});
"""

# Runs axe in the page and returns only what a failure message needs, which keeps the
# transfer from the browser small.
_RUN_AXE = """
async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.map(String),
      summary: node.failureSummary || "",
    })),
  }));
}
"""


@functools.cache
def axe_source() -> str:
    """Return axe.min.js as shipped inside the pinned axe-playwright-python package.

    It is read from the installed package, never fetched, so the version is the one pinned
    and a test run needs no network.
    """
    package = importlib.resources.files("axe_playwright_python")
    return package.joinpath("axe.min.js").read_text(encoding="utf-8")


def _inject_axe(page: Page) -> None:
    # page.evaluate runs through the DevTools protocol, which the page's Content-Security-
    # Policy (script-src 'self') does not govern; a <script> tag added to the page would be
    # blocked by it. A navigation starts a new document without axe, so this checks each time.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Return every WCAG 2.0/2.1 A and AA violation axe-core finds in the page as it is now."""
    _inject_axe(page)
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, AXE_TAGS)
    return violations


def assert_accessible(page: Page, label: str) -> list[dict[str, Any]]:
    """Fail when axe-core finds a serious or critical WCAG 2.0/2.1 A/AA violation in the page.

    Call it after each interaction that changes the page, not only after loading it: it checks
    the document as it is at the moment of the call. `label` names the state in the failure
    message ("kiosk after drawing a number"). Returns all violations, including the moderate
    and minor ones that do not fail the test, for a test that wants to look at them.
    """
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [
            f"axe-core found {len(blocking)} serious or critical accessibility violation(s) "
            f"on {label!r} ({page.url}):"
        ]
        for violation in blocking:
            lines.append(
                f"- {violation['id']} [{violation['impact']}]: {violation['help']} "
                f"({violation['helpUrl']})"
            )
            for node in violation["nodes"]:
                target = ", ".join(node["target"])
                summary = " ".join(node["summary"].split())
                lines.append(f"    {target}: {summary}")
        raise AssertionError("\n".join(lines))
    return violations


def save_screenshot(page: Page, name: str, directory: Path) -> Path:
    """Save a full-page PNG of the page as `directory/<name>.png` and return its path.

    Raises ValueError for a name that is not a plain file name (letters, digits, . _ -).
    """
    if not _SCREENSHOT_NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r} must be letters, digits, '.', '_' or '-'")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@dataclass
class BrowserProblems:
    """Console errors, uncaught page errors and CSP violations seen in one browser context.

    `watch` must be called before the first page of the context opens, so that nothing that
    happens while a page loads is missed.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def watch(cls, context: BrowserContext) -> BrowserProblems:
        problems = cls()
        context.on("console", problems._on_console)
        context.on("weberror", lambda web_error: problems._on_page_error(web_error.error))
        # The binding and init script are installed through the DevTools protocol, so the
        # page's CSP cannot block the listener that reports its own violations.
        context.expose_function(_CSP_BINDING, problems._on_csp_violation)
        context.add_init_script(script=_CSP_LISTENER)
        return problems

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location
            self.console_errors.append(
                f"{message.text} ({location.get('url', '')}:{location.get('lineNumber', '')})"
            )

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def _on_csp_violation(self, violation: dict[str, Any]) -> None:
        self.csp_violations.append(violation)

    def clear(self) -> None:
        """Forget what was seen so far, e.g. after a step that is expected to log an error."""
        self.console_errors.clear()
        self.page_errors.clear()
        self.csp_violations.clear()

    def assert_none(self) -> None:
        """Fail, listing them, if any console error, page error or CSP violation was seen."""
        lines: list[str] = []
        lines += [f"- console error: {text}" for text in self.console_errors]
        lines += [f"- uncaught error: {text}" for text in self.page_errors]
        lines += [
            f"- CSP violation: {v['directive']} blocked {v['blocked'] or 'inline'} "
            f"in {v['document']} ({v['source']}:{v['line']}) {v['sample']!r}"
            for v in self.csp_violations
        ]
        if lines:
            raise AssertionError("The browser reported problems:\n" + "\n".join(lines))
