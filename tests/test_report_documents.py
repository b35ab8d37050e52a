"""Pictures per reading, the one-file HTML report and the notebook hooks, as a user meets them.

The browser checks (console errors, DOM, requests, overlaps, screenshots) are in
``test_browser.py``; these run without a browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cstosim
from cstosim.cli import app
from cstosim.render.graph import graphs
from cstosim.render.svg import _layout

ROOT = Path(__file__).resolve().parent.parent
KAZ = str(ROOT / "scenarios" / "kazakhstan_2022.yaml")
AZE = str(ROOT / "scenarios" / "azerbaijan_csto_member.yaml")
PAK = str(ROOT / "scenarios" / "pakistan_pa_partner_2021.yaml")
SEEDS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI as a user runs it: exit code, standard output, standard error."""
    done = runner.invoke(app, list(args))
    return done.exit_code, done.stdout, done.stderr


def _report(path: str | Path, **kw: object) -> cstosim.Report:
    rules, scenario = cstosim.load_scenario(path)
    return cstosim.evaluate(rules, scenario, explain="off", **kw)  # type: ignore[arg-type]


# ---- pictures -------------------------------------------------------------------------


def test_kazakhstan_treaty_text_reading_draws_no_art4_duty_but_marks_the_one_party_tension() -> None:
    by = {g.reading: g for g in graphs(_report(KAZ))}
    assert set(by) == {"treaty_text", "secretariat", "victim"}
    text = by["treaty_text"]
    assert text.edges == () and text.obligations == 0
    (kaz,) = text.nodes
    assert kaz.id == "KAZ" and [m.label for m in kaz.marks] == ["practice departs from text"]
    # the other readings owe Kazakhstan Art. 2 and Art. 4 from the five other members, as one node
    (edge,) = by["secretariat"].edges
    assert edge.labels == ("consultation Art. 2", "defence Art. 4") and edge.target == "KAZ"
    group = next(n for n in by["secretariat"].nodes if n.id == edge.source)
    assert group.members == ("ARM", "BLR", "KGZ", "RUS", "TJK")


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_kazakhstan_picture_text_has_a_section_per_reading(fmt: str) -> None:
    code, out, _ = invoke("run", KAZ, "--format", fmt)
    assert code == 0
    assert "reading treaty_text: 0 obligations, 1 tension" in out
    assert "reading secretariat: 10 obligations, 1 tension" in out
    assert "! practice departs from text (moderate)" in out and "Legend" in out
    treaty = out.split("reading treaty_text")[1].split("reading secretariat")[0]
    assert "Art. 4" not in treaty


def test_interpretation_option_draws_only_that_reading() -> None:
    code, out, _ = invoke("run", KAZ, "--format", "mermaid", "--interpretation", "victim")
    assert code == 0 and "reading victim" in out
    assert "treaty_text" not in out and "secretariat" not in out


def test_every_tension_is_drawn() -> None:
    for path in SEEDS:
        report = _report(path)
        for g in graphs(report):
            drawn = {(e.source, e.target) for e in g.edges if e.kind == "tension"}
            marked = {n.id for n in g.nodes if n.marks}
            for t in report.tensions:
                if t.interpretation not in (None, g.reading):
                    continue
                if len(t.parties) == 1:
                    assert t.parties[0] in marked, t.id
                else:
                    pairs = set(zip(t.parties, t.parties[1:], strict=False))
                    assert pairs <= drawn, (t.id, g.reading)


def test_every_obligation_is_on_an_edge_of_its_readings_picture() -> None:
    report = _report(AZE)
    for g in graphs(report):
        owner = {m: n.id for n in g.nodes for m in n.members}
        ends = {(e.source, e.target) for e in g.edges if e.kind == "obligation"}
        ends |= {(b, a) for a, b in ends}  # a mutual edge stands for both directions
        for o in report.obligations:
            if o.interpretation == g.reading:
                assert (owner[o.debtor], owner[o.creditor]) in ends, o.id


def test_svg_layout_puts_no_label_over_another_or_over_a_node() -> None:
    for path in SEEDS:
        for g in graphs(_report(path)):
            boxes, labels, _w, _h = _layout(g)
            rects = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in boxes.values()]
            rects += [(b.x, b.y, b.x + b.w, b.y + b.h) for _i, b, _g in labels]
            for i, a in enumerate(rects):
                for b in rects[i + 1:]:
                    assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_svg_format_needs_no_graphviz_and_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")  # no `dot` to find
    first = cstosim.render(_report(AZE), "svg")
    assert first.startswith("<?xml") and first.count('class="graph"') == 3
    assert first == cstosim.render(_report(AZE), "svg")


# ---- HTML -----------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_one_offline_file() -> None:
    code, out, _ = invoke("run", AZE, "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    parser = _Tags()
    parser.feed(out)
    for tag, attrs in parser.tags:
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        if tag == "script":
            assert "src" not in attrs
        for name in ("src", "srcset", "data"):
            assert name not in attrs or tag == "object", (tag, attrs)
        if tag == "a":
            assert (attrs.get("href") or "").startswith(("#", "http://", "https://")), attrs
    assert "@import" not in out and "url(http" not in out
    assert "@media print" in out and "<details>" in out


def test_html_sections_and_summary() -> None:
    code, out, _ = invoke("run", KAZ, "--format", "html")
    assert code == 0
    for ident in ("summary", "admissions", "reading-treaty_text", "reading-secretariat",
                  "reading-victim", "all-readings", "timeline", "notes", "difference"):
        assert f'<section id="{ident}"' in out, ident
    incidents = out.split('id="summary-incidents"')[1].split("</table>")[0]
    assert "internal_unrest" in incidents and "aggression" in incidents
    # the timeline shows Kazakhstan's memberships from the rules, and the incident
    timeline = out.split('id="timeline"')[1].split("</section>")[0]
    assert "KAZ CSTO member" in timeline and "incident kazakhstan_2022 on KAZ" in timeline


def test_html_marks_conclusions_the_same_under_every_reading() -> None:
    code, out, _ = invoke("run", AZE, "--format", "html")
    assert code == 0
    assert "all readings: <b>aggression</b>" in out


def test_html_sources_are_links() -> None:
    code, out, _ = invoke("run", str(ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"), "--format", "html")
    assert code == 0
    assert re.search(r'<a href="https://zakonpravo\.kz/en/[^"]+">https://zakonpravo', out)


def test_html_escapes_user_text(tmp_path: Path) -> None:
    text = (Path(KAZ).read_text(encoding="utf-8")
            .replace("name: Kazakhstan requests", 'name: "<script>alert(1)</script> & <b>x</b>"\nx_was:', 1))
    text = re.sub(r"\nx_was:[^\n]*", "", text)
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke("run", str(path), "--format", "html")
    assert code == 0, err
    assert "<script>alert(1)</script>" not in out and "<b>x</b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in out


def test_html_output_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("mine", encoding="utf-8")
    code, _, err = invoke("run", KAZ, "--format", "html", "--output", str(out))
    assert code == 2 and "Traceback" not in err and out.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("fmt", ["html", "svg"])
def test_one_document_per_scenario(fmt: str) -> None:
    code, out, err = invoke("run", KAZ, PAK, "--format", fmt)
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"`--format {fmt}` writes one document for one scenario, not 2" in err
    assert "hint: run each scenario on its own" in err


# ---- notebooks ------------------------------------------------------------------------


def test_report_displays_itself_in_a_notebook() -> None:
    report = _report(PAK)
    html = report._repr_html_()
    # a fragment for an output cell: no page shell, and its style touches only its own div
    assert html.startswith('<div class="cstosim"><style>') and 'id="summary"' in html
    assert "<html" not in html and "<body" not in html and "<script" not in html
    style = html.split("<style>")[1].split("</style>")[0]
    selectors = re.findall(r"([^{}]+)\{[^{}]*\}", style.replace("@media print {", ""))
    assert len(selectors) > 20
    for rule in selectors:
        assert all(sel.strip().startswith((".cstosim", "body.cstosim")) for sel in rule.split(",")), rule
    md = report._repr_markdown_()
    assert md.startswith("# Pakistan") and "```mermaid" in md


def test_load_scenario_text_runs_a_scenario_written_in_a_cell() -> None:
    text = Path(PAK).read_text(encoding="utf-8")
    rules, scenario = cstosim.load_scenario_text(text)
    report = cstosim.evaluate(rules, scenario)
    assert report.admissions and not report.admissions[0].admitted
    page = cstosim.render_html(report, rules, scenario)
    assert "PAK applies to PA_CSTO as partner" in page.split('id="timeline"')[1]


def test_load_scenario_text_reports_bad_yaml_with_a_location() -> None:
    with pytest.raises(cstosim.CstosimError) as info:
        cstosim.load_scenario_text("cstosim: 1\nname: x\nas_of: 2021-01-01\nbogus: 1\n", name="cell 3")
    (first, *_) = info.value.diagnostics
    assert first.location.file == "cell 3" and first.location.line == 4


def test_the_guides_notebook_example_runs() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", guide, re.S) if "load_scenario_text" in b)
    scope: dict[str, object] = {}
    exec(compile(block, "docs/guide.md", "exec"), scope)  # our own documentation, as a user runs it
    report = scope["report"]
    assert isinstance(report, cstosim.Report)
    labels = {c.interpretation: c.label for c in report.classifications}
    assert labels == {"treaty_text": "internal_unrest", "secretariat": "aggression", "victim": "aggression"}
    assert report.obligations == ()  # what the guide says below the example
    assert 'id="timeline"' in str(scope["html"]) and str(scope["markdown"]).startswith("# Kazakhstan")
