"""What the browser tests check on every page they scan: axe-core and the page's width."""

from __future__ import annotations


def scan_problems(page, axe, label: str, width: int) -> dict[str, str]:
    """What axe finds on the page as it is now, and whether it is wider than the window;
    keyed by `label` (usually the path), empty when all is well."""
    problems = {}
    results = axe.run(page)
    if results.violations_count:
        problems[label] = results.generate_report()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        problems[label + " (width)"] = f"{overflow}px wider than {width}px"
    return problems


def assert_no_problems(problems: dict[str, str]) -> None:
    assert not problems, "\n".join(f"{k}:\n{v}" for k, v in problems.items())
