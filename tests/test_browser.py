"""The HTML report and the pictures in a real headless Chromium (Debian's, at /usr/bin/chromium).

For every seed scenario, the page that `cstosim run --format html` writes is opened from a
file:// URL, and: it loads with no console error and no page error; the summary tables and
every section (admissions, one per reading, all readings, timeline, notes, difference) are in
the DOM; no request leaves file:// (every other request is recorded and aborted); no two labels
or nodes of a picture overlap and each text fits its box, measured from the browser's layout;
a full-page screenshot is written to ``.ci/artifacts/report-<seed>.png`` and checked not to be
blank. The Mermaid text is rendered by mermaid.js (from the npm registry, installed by
``.ci/run`` into ``.ci/node``) and checked the same way for overlapping labels.

Chromium is driven with the ``playwright`` package (the ``test`` extra), launched on the
system's Chromium; ``playwright install`` is never run. When Chromium, playwright or mermaid.js
is missing, these tests FAIL under CI (``CI`` set, as ``.ci/run`` does) and are skipped only
on a developer's machine without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
ARTIFACTS = ROOT / ".ci" / "artifacts"
MERMAID = ROOT / ".ci" / "node" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI must run the browser tests (see .ci/run)")
    pytest.skip(f"{what} is missing (not in CI, so skipped; .ci/run installs it)")


def _chromium() -> str:
    found = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not found:
        _missing("Debian's chromium (`apt-get install chromium`)")
    assert found
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (the `test` extra)")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


def _html(seed: str, out: Path) -> Path:
    path = out / f"report-{seed}.html"
    done = subprocess.run([sys.executable, "cli.py", "run", f"scenarios/{seed}.yaml", "--format",
                           "html", "--output", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return path


def _open(context: Any, url: str) -> tuple[Any, list[str], list[str]]:
    """A page at ``url``, with the console errors and the non-file requests it makes."""
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url, wait_until="load")
    return page, errors, outside


# For every picture: the boxes of its labels and nodes, and whether each text fits its box.
BOXES_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(svg => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const items = Array.from(svg.querySelectorAll('g.label, g.node')).map(g => ({
      kind: g.getAttribute('class'), box: box(g.querySelector('rect')),
      text: box(g.querySelector('text')), words: g.textContent}));
  return items;
})"""


def _overlaps(items: list[dict[str, Any]]) -> list[str]:
    def cross(a: list[float], b: list[float]) -> bool:
        return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5

    bad = []
    for i, a in enumerate(items):
        t, r = a["text"], a["box"]
        if not (t[0] >= r[0] - 0.5 and t[2] <= r[2] + 0.5 and t[1] >= r[1] - 0.5 and t[3] <= r[3] + 0.5):
            bad.append(f"text {a['words']!r} spills out of its box")
        bad += [f"{a['words']!r} overlaps {b['words']!r}" for b in items[i + 1:] if cross(a["box"], b["box"])]
    return bad


@pytest.mark.parametrize("seed", SEEDS)
def test_html_report_in_chromium(browser: Any, seed: str, tmp_path: Path) -> None:
    from PIL import Image

    from cstosim.api import evaluate, load_scenario

    rules, scenario = load_scenario(ROOT / "scenarios" / f"{seed}.yaml")
    report = evaluate(rules, scenario, explain="off")
    page, errors, outside = _open(browser, _html(seed, tmp_path).as_uri())
    try:
        assert errors == [], errors
        assert outside == [], f"the page fetched {outside}"
        assert page.locator("#summary table#summary-counts tr").count() == 1 + len(report.interpretations)
        assert page.locator("#summary table#summary-admissions, #summary p.none").count() >= 1
        ids = ["summary", "admissions", "all-readings", "timeline", "notes", "difference",
               *(f"reading-{r}" for r in report.interpretations)]
        for ident in ids:
            assert page.locator(f"section#{ident} h2").count() == 1, ident
        # one picture per reading, each with its reading's title
        titles = page.locator("section.reading svg.graph > title").all_text_contents()
        assert [t.split(":")[0] for t in titles] == [f"reading {r}" for r in report.interpretations]
        assert page.locator("details > summary").count() >= 1
        for k, items in enumerate(page.evaluate(BOXES_JS, "svg.graph")):
            assert _overlaps(items) == [], f"picture {k} of {seed}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"report-{seed}.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert rgb.size[0] >= 1000 and rgb.size[1] >= 900
    # a blank page has one colour; text, tables and the pictures give many
    assert len(colours) > 50, f"{shot} looks blank ({len(colours)} colours)"


def test_diff_html_in_chromium(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    done = subprocess.run([sys.executable, "cli.py", "diff", "scenarios/azerbaijan_csto_member.yaml",
                           "scenarios/azerbaijan_pa_partner_2021.yaml", "--format", "html", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    page, errors, outside = _open(browser, out.as_uri())
    try:
        assert errors == [] and outside == []
        for ident in ("causes", "deltas", "summary-a", "summary-b"):
            assert page.locator(f"section#{ident} h2").count() == 1, ident
        # 498 obligations only in A, grouped by duty and creditor: a handful of rows per reading
        rows = page.locator("section#deltas tr").count()
        assert 10 < rows < 80, rows
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "diff-aze-member-vs-partner.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert shot.stat().st_size > 10_000


def test_a_script_in_a_scenario_name_stays_text_in_chromium(browser: Any, tmp_path: Path) -> None:
    src = (ROOT / "scenarios" / "kazakhstan_2022.yaml").read_text(encoding="utf-8")
    evil = tmp_path / "evil.yaml"
    lines = src.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("name:"))
    lines[at] = "name: \"<script>window.pwned = 1</script><img src=x onerror='window.pwned=2'>\""
    rules_line = next((i for i, x in enumerate(lines) if x.startswith("rules:")), None)
    if rules_line is not None:
        lines.pop(rules_line)  # the bundled rules; the copy lives elsewhere
    evil.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "evil.html"
    done = subprocess.run([sys.executable, "cli.py", "run", str(evil), "--format", "html", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    page, errors, outside = _open(browser, out.as_uri())
    try:
        assert page.evaluate("window.pwned === undefined")
        assert "<script>window.pwned = 1</script>" in page.locator("h1").inner_text()
        assert outside == [] and errors == []
    finally:
        page.close()


MERMAID_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<script src="{lib}"></script><div id="out"></div></body></html>"""

# Renders one Mermaid text and returns the boxes of its nodes and edge labels.
MERMAID_JS = """async (text) => {
  mermaid.initialize({startOnLoad: false, securityLevel: 'strict', flowchart: {htmlLabels: true}});
  const {svg} = await mermaid.render('picture', text);
  document.getElementById('out').innerHTML = svg;
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const items = [];
  for (const g of document.querySelectorAll('#out g.node, #out g.edgeLabel')) {
    const r = box(g); if (r[2] - r[0] < 1) continue;  // an empty label
    items.push({kind: g.getAttribute('class'), box: r, text: r, words: g.textContent});
  }
  return items;
}"""


@pytest.mark.parametrize("seed", SEEDS)
def test_mermaid_text_renders_without_overlaps_in_chromium(browser: Any, seed: str, tmp_path: Path) -> None:
    if not MERMAID.exists():
        _missing(f"mermaid.js ({MERMAID.relative_to(ROOT)}; .ci/run runs `npm install`)")
    done = subprocess.run([sys.executable, "cli.py", "run", f"scenarios/{seed}.yaml", "--format", "mermaid"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    page_file = tmp_path / "mermaid.html"
    page_file.write_text(MERMAID_PAGE.format(lib=MERMAID.as_uri()), encoding="utf-8")
    page, errors, outside = _open(browser, page_file.as_uri())
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        items = page.evaluate(MERMAID_JS, done.stdout)
        assert errors == [] and outside == []
        assert len(items) >= 2
        assert _overlaps(items) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"mermaid-{seed}.png"), full_page=True)
    finally:
        page.close()
