"""Render a report's Mermaid diagram in a real browser and check that it drew.

Not part of the test suite (it needs Chromium and the mermaid JavaScript library, which
the project does not install); run it after changing cstosim/graph.py:

    apt-get install chromium            # Debian's package: /usr/bin/chromium
    npm install mermaid@11              # or pass --mermaid-js PATH/mermaid.min.js
    python scripts/check_mermaid_render.py [--scenario FILE] [--screenshot out.png]

It writes a small HTML page that renders the diagram with mermaid, loads it in headless
Chromium, and reads back the DOM: exit 0 when an SVG with every state of the diagram came
out and mermaid reported no error; exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>pending</title>
<script>{js}</script></head><body><div id="out"></div><script>
mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
mermaid.render("graph", {source}).then(function (r) {{
  document.getElementById("out").innerHTML = r.svg; document.title = "RENDERED";
}}).catch(function (e) {{ document.title = "ERROR " + e; }});
</script></body></html>
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "azerbaijan_csto_member.yaml"))
    ap.add_argument("--mermaid-js", default="node_modules/mermaid/dist/mermaid.min.js")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--screenshot", default=None, help="also save a PNG of the page")
    args = ap.parse_args()
    source = subprocess.run(["cstosim", "run", args.scenario, "--format", "mermaid"], check=True,
                            capture_output=True, text=True).stdout
    states = sorted(set(re.findall(r'^  (\w+)\["', source, flags=re.M)))
    js = Path(args.mermaid_js).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "graph.html"
        page.write_text(PAGE.format(js=js.replace("</script>", "<\\/script>"),
                                    source=json.dumps(source)), encoding="utf-8")
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp}/profile", "--virtual-time-budget=10000"]
        dom = subprocess.run([args.chromium, *flags, "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120, check=False).stdout
        if args.screenshot:
            subprocess.run([args.chromium, *flags, "--window-size=1600,1000",
                            f"--screenshot={Path(args.screenshot).resolve()}", page.as_uri()],
                           capture_output=True, timeout=120, check=False)
    title = re.search(r"<title>(.*?)</title>", dom, flags=re.S)
    missing = [s for s in states if f">{s}<" not in dom]
    ok = bool(title and title.group(1) == "RENDERED" and "<svg" in dom and not missing)
    print(f"title: {title.group(1) if title else None}; states drawn: {len(states) - len(missing)}"
          f"/{len(states)}; missing: {missing}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
