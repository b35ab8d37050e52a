"""Step 6, the command line: parse arguments, call the library, render, exit.

Exit codes: 0 success; 1 an expectation failed (``test``); 2 bad input or
usage; 130 interrupted. Results go to stdout, diagnostics to stderr. Nothing
imports this module; heavy modules are imported inside the commands so that
``cstosim --help`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cstosim.compile import CompiledRules

EXIT_OK, EXIT_EXPECTATION, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="cstosim",
    help="Membership-rules simulation engine for the CSTO: run what-if scenarios on an "
         "editable rules model and see the obligations and tensions, with their reasons.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


class Explain(StrEnum):
    off = "off"
    fails = "fails"
    full = "full"


def _fail(diagnostics: list[Any]) -> int:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)
    n = len(diagnostics)
    print(f"{n} error{'s' if n != 1 else ''}; nothing was run.", file=sys.stderr)
    return EXIT_BAD_INPUT


def _guard(body: Callable[[], int]) -> None:
    """Run a command body, turning user errors into messages and exit codes."""
    from cstosim.errors import CstosimError

    try:
        code = body()
    except CstosimError as exc:
        code = _fail(exc.diagnostics)
    except KeyboardInterrupt:
        print("interrupted; no output was written.", file=sys.stderr)
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def _rules(path: Path | None) -> CompiledRules | None:
    from cstosim.api import load_rules

    return load_rules(path) if path is not None else None


def parse_sets(sets: list[str], rules: CompiledRules) -> dict[str, Any]:
    """Parse ``--set NAME=VALUE`` options, typed like the rules' parameters."""
    from cstosim.compile import value_fits
    from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
    from cstosim.load import load_text

    out: dict[str, Any] = {}
    problems = []
    where = Location("<command line>")
    for item in sets:
        name, eq, raw = item.partition("=")
        name = name.strip()
        if not eq or not name:
            problems.append(Diagnostic("bad_option", where, f"`--set {item}` is not NAME=VALUE",
                                       "e.g. `--set occupation_min_days=30`"))
            continue
        if name not in rules.params:
            problems.append(Diagnostic("unknown_parameter", where, f"unknown parameter `{name}`",
                                       did_you_mean(name, rules.params)))
            continue
        value = load_text(f"v: {raw}" if raw.strip() else "v: ''", "<command line>").data["v"]
        if not value_fits(value, rules.param_types[name]):
            problems.append(Diagnostic("type_mismatch", where,
                                       f"parameter `{name}` takes {rules.param_types[name]}, "
                                       f"got `{raw}`", f"the default is `{rules.params[name]}`"))
            continue
        out[name] = value
    if problems:
        raise CstosimError(problems)
    return out


@app.command()
def run(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    rules: Annotated[Path | None, typer.Option(help="Rules file (default: the scenario's "
                                                    "`rules:` or the bundled rules).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    explain: Annotated[Explain, typer.Option(help="Leaf comparisons to show: none, failed, all.")
                       ] = Explain.off,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a parameter: NAME=VALUE.")
                    ] = None,
    interpretation: Annotated[list[str] | None, typer.Option(
        help="Evaluate only these interpretations (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write to this file instead of stdout.")] = None,
    force: Annotated[bool, typer.Option(help="Allow --output to replace an existing file.")] = False,
) -> None:
    """Run scenarios and show admissions, classifications, obligations and tensions."""

    def body() -> int:
        import json

        from cstosim.api import load_scenario
        from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
        from cstosim.evaluate import evaluate
        from cstosim.output import write_atomic
        from cstosim.render import render

        _no_duplicates(scenarios)
        base = _rules(rules)
        texts, reports = [], []
        for path in scenarios:
            compiled, scenario = load_scenario(path, base)
            params = parse_sets(set_ or [], compiled)
            for name in interpretation or []:
                if name not in compiled.spec.interpretations:
                    raise CstosimError([Diagnostic(
                        "unknown_interpretation", Location("<command line>"),
                        f"unknown interpretation `{name}`",
                        did_you_mean(name, compiled.spec.interpretations))])
            report = evaluate(compiled, scenario, explain=explain.value, params=params,
                              interpretations=tuple(interpretation) if interpretation else None)
            reports.append(report)
            texts.append(_svg(render(report, "dot")) if format is Format.svg
                         else render(report, format.value))
        if format is Format.json and len(reports) > 1:
            text = json.dumps([r.to_json() for r in reports], indent=2, sort_keys=True,
                              ensure_ascii=False) + "\n"
        else:
            text = ("\n" + "=" * 80 + "\n\n").join(texts)
        if output is not None:
            write_atomic(output, text, force=force)
            print(f"wrote {output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        violations = [v for path in scenarios
                      for v in _property_failures(*load_scenario(path, base))]
        for v in violations:
            print(v, file=sys.stderr)
        return EXIT_EXPECTATION if violations else EXIT_OK

    _guard(body)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Rules or scenario files.")],
    rules: Annotated[Path | None, typer.Option(help="Rules to check scenarios against.")] = None,
) -> None:
    """Check rules and scenario files without running them; report every problem found."""

    def body() -> int:
        from cstosim.api import load_rules, load_scenario
        from cstosim.errors import CstosimError
        from cstosim.load import load_file

        _no_duplicates(files)
        base = _rules(rules)
        problems = []
        for path in files:
            try:
                doc = load_file(path)
                if isinstance(doc.data, dict) and "as_of" in doc.data:
                    load_scenario(path, base)
                    print(f"ok: {path} (scenario)")
                else:
                    load_rules(path)
                    print(f"ok: {path} (rules)")
            except CstosimError as exc:
                problems.extend(exc.diagnostics)
        if problems:
            raise CstosimError(problems)
        return EXIT_OK

    _guard(body)


@app.command()
def test(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Scenario files or folders (default: scenarios/).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file to test against.")] = None,
) -> None:
    """Run the `expect` blocks of scenario files; exit 1 if any expectation fails."""

    def body() -> int:
        from cstosim.api import load_scenario
        from cstosim.errors import CstosimError, Diagnostic, Location
        from cstosim.evaluate import evaluate
        from cstosim.expect import ExpectationResult, check

        files: list[Path] = []
        for p in paths or [Path("scenarios")]:
            if p.is_dir():
                files.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
            elif p.exists():
                files.append(p)
            else:
                raise CstosimError([Diagnostic("file_not_found", Location(str(p)),
                                               f"`{p}` does not exist", "give a file or a folder")])
        _no_duplicates(files)
        base = _rules(rules)
        failed = passed = 0
        for path in files:
            compiled, scenario = load_scenario(path, base)
            if scenario.spec.expect is None:
                print(f"skip {path}: no expect block")
                continue
            report = evaluate(compiled, scenario, explain="off")
            results = check(report, scenario.spec.expect)
            broken = _failed_properties(compiled, scenario)
            results += [ExpectationResult(f"property `{p}` holds",
                                          "violated" if p in broken else "holds", p not in broken)
                        for p in scenario.spec.expect.properties]
            bad = [r for r in results if not r.passed]
            print(f"{'FAIL' if bad else 'ok  '} {path} ({len(results) - len(bad)}/{len(results)})")
            for r in bad:
                print(f"     expected {r.expected}; found {r.actual}")
            failed += len(bad)
            passed += len(results) - len(bad)
        print(f"{passed} passed, {failed} failed")
        return EXIT_EXPECTATION if failed else EXIT_OK

    _guard(body)


@app.command()
def check(
    rules: Annotated[Path | None, typer.Option(help="Rules file to check (default: bundled).")] = None,
    examples: Annotated[int, typer.Option(min=1, max=1_000_000,
                                          help="Generated scenarios per property.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed for a reproducible run.")] = 0,
    property_: Annotated[list[str] | None, typer.Option(
        "--property", help="Check only these properties (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for counterexample scenario files.")
                   ] = Path("counterexamples"),
    force: Annotated[bool, typer.Option(help="Replace existing counterexample files.")] = False,
) -> None:
    """Property-test a rules file; write a runnable counterexample for each failure."""

    def body() -> int:
        import os

        from cstosim.api import DEFAULT_RULES, load_rules
        from cstosim.check import check_rules
        from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
        from cstosim.model import PROPERTY_IDS
        from cstosim.output import write_atomic

        for pid in property_ or []:
            if pid not in PROPERTY_IDS:
                raise CstosimError([Diagnostic("unknown_property", Location("<command line>"),
                                               f"unknown property `{pid}`",
                                               did_you_mean(pid, PROPERTY_IDS))])
        if out.exists() and not out.is_dir():
            raise CstosimError([Diagnostic("not_a_folder", Location(str(out)),
                                           f"`{out}` exists and is not a folder",
                                           "give a folder for counterexamples with --out")])
        compiled = load_rules(rules)
        ref = os.path.relpath(rules if rules is not None else DEFAULT_RULES, out.resolve()) \
            if rules is not None else None
        print(f"checking {compiled.file} with {examples} examples per property, seed {seed}",
              file=sys.stderr)

        def progress(pid: str, n: int) -> None:
            print(f"  {pid}: {n} scenarios...", file=sys.stderr, flush=True)

        failed = 0
        for result in check_rules(compiled, examples=examples, seed=seed,
                                  only=tuple(property_ or ()), rules_ref=ref, progress=progress):
            mark = "ok  " if result.passed else "FAIL"
            print(f"{mark} {result.id} ({result.examples} scenarios): {result.meaning}", flush=True)
            if result.passed or result.counterexample is None:
                continue
            failed += 1
            for v in result.violations[:5]:
                print(f"     {v}")
            out.mkdir(parents=True, exist_ok=True)
            target = out / f"{result.id}.yaml"
            n = 1
            while target.exists() and not force:
                n += 1
                target = out / f"{result.id}-{n}.yaml"
            write_atomic(target, result.counterexample, force=force)
            print(f"     counterexample: {target} (run it with `cstosim run {target}`)")
        print(f"{failed} properties failed" if failed else "all properties hold")
        return EXIT_EXPECTATION if failed else EXIT_OK

    _guard(body)


class FileKind(StrEnum):
    rules = "rules"
    scenario = "scenario"


@app.command()
def schema(kind: Annotated[FileKind, typer.Argument(help="Which file type.")]) -> None:
    """Print the JSON Schema of rules or scenario files (for editors)."""

    def body() -> int:
        from cstosim.schema import json_schema_text

        sys.stdout.write(json_schema_text(kind.value))
        return EXIT_OK

    _guard(body)


new_app = typer.Typer(help="Create files from templates.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("scenario")
def new_scenario(
    name: Annotated[Path, typer.Argument(help="File to write (`.yaml` is added if missing).")],
) -> None:
    """Write a commented scenario template; never overwrites an existing file."""

    def body() -> int:
        from cstosim.output import write_atomic
        from cstosim.schema import SCENARIO_TEMPLATE

        path = name if name.suffix in (".yaml", ".yml") else name.with_suffix(".yaml")
        write_atomic(path, SCENARIO_TEMPLATE.format(name=path.stem.replace("_", " "), file=path))
        print(f"wrote {path}; edit it, then `cstosim run {path}`", file=sys.stderr)
        return EXIT_OK

    _guard(body)


def _property_failures(compiled: CompiledRules, scenario: Any) -> list[str]:
    """Violations of the properties a scenario's expect block names."""
    from cstosim.properties import check_scenario_properties

    expect = scenario.spec.expect
    if expect is None or not expect.properties:
        return []
    found = check_scenario_properties(compiled, scenario, expect.properties)
    return [f"property `{pid}` violated: {v}" for pid, vs in found.items() for v in vs]


def _failed_properties(compiled: CompiledRules, scenario: Any) -> set[str]:
    from cstosim.properties import check_scenario_properties

    expect = scenario.spec.expect
    if expect is None or not expect.properties:
        return set()
    return {pid for pid, vs in check_scenario_properties(compiled, scenario,
                                                           expect.properties).items() if vs}


def _svg(dot_text: str) -> str:
    """Render DOT to SVG with Graphviz's `dot`, when it is installed."""
    import shutil
    import subprocess

    from cstosim.errors import CstosimError, Diagnostic, Location

    exe = shutil.which("dot")
    if exe is None:
        raise CstosimError([Diagnostic(
            "graphviz_missing", Location("<command line>"), "`--format svg` needs Graphviz's `dot`",
            "install Graphviz (e.g. `apt-get install graphviz`), or use `--format dot` or `mermaid`")])
    done = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise CstosimError([Diagnostic("graphviz_failed", Location("<command line>"),
                                       f"Graphviz failed: {done.stderr.strip()[:200]}",
                                       "report this with the scenario that caused it")])
    return done.stdout


def _no_duplicates(paths: list[Path]) -> None:
    from cstosim.errors import CstosimError, Diagnostic, Location

    seen: set[Path] = set()
    for p in paths:
        key = p.resolve()
        if key in seen:
            raise CstosimError([Diagnostic("duplicate_file", Location(str(p)),
                                           f"`{p}` is given twice", "name each file once")])
        seen.add(key)


def version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"cstosim {version('cstosim')}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """cstosim: CSTO membership-rules simulation."""


def entry() -> None:
    """Console-script entry point."""
    app()
