"""Step 6, the command line: parse arguments, call the library, render, exit.

Exit codes: 0 success; 1 an expectation failed (``test``); 2 bad input or
usage, or stdout that cannot be written (closed, full); 130 interrupted;
141 the reader of stdout went away (broken pipe, quietly); 143 terminated.
Results go to stdout, diagnostics to stderr. Nothing
imports this module; heavy modules are imported inside the commands so that
``cstosim --help`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from cstosim.compile import CompiledRules

EXIT_OK, EXIT_EXPECTATION, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_BROKEN_PIPE = 141  # what a shell reports for a command killed by SIGPIPE (128 + 13)

# Value names in --help, by parameter; any other option shows its name in capitals.
_METAVARS = {"set_": "NAME=VALUE", "set_b": "NAME=VALUE", "interpretation": "NAME",
             "interpretation_b": "NAME", "rules": "FILE", "rules_b": "FILE", "output": "FILE",
             "out": "DIR", "keyword": "PATTERN", "fail_under": "PCT", "examples": "N", "seed": "N",
             "workers": "N", "property_": "ID", "why": "ID", "why_not": "CONCLUSION",
             "vary": "NAME=RANGE", "scheduler": "ADDRESS", "as_of": "DATE"}


class _Group(typer.core.TyperGroup):
    """The command group, with help that shows value names (``--set NAME=VALUE``) instead
    of internal type names (``<list[str]>``)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        for param in getattr(command, "params", ()):
            desc = getattr(param, "type_descriptor", None)
            if desc is None or getattr(desc, "is_choice", False):
                continue  # choices (`<table|json>`) are worth showing as they are
            if isinstance(param, typer.core.TyperOption):
                if param.metavar is None and not param.is_flag and param.name:
                    param.metavar = _METAVARS.get(param.name, param.name.upper())
            elif isinstance(param, typer.core.TyperArgument) and hasattr(param, "display_type_rich"):
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
        return command


app = typer.Typer(
    cls=_Group,
    name="cstosim",
    help="Membership-rules simulation engine for the CSTO: run what-if scenarios on an "
         "editable rules model and see the obligations and tensions, with their reasons.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"
    html = "html"


class DiffFormat(StrEnum):
    table = "table"
    json = "json"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


class Explain(StrEnum):
    off = "off"
    fails = "fails"
    full = "full"


def _fail(diagnostics: list[Any], omitted: int = 0, where: str = "") -> int:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)
    n = len(diagnostics) + omitted
    if omitted:
        print(f"{omitted:,} more not shown{f' ({where})' if where else ''}; fix the ones above "
              "and check again.", file=sys.stderr)
    print(f"{n:,} error{'s' if n != 1 else ''}; nothing was run.", file=sys.stderr)
    return EXIT_BAD_INPUT


def _guard(body: Callable[[], int]) -> None:
    """Run a command body, turning user errors into messages and exit codes."""
    from cstosim.errors import CstosimError

    try:
        code = body()
        if sys.stdout is not None:
            sys.stdout.flush()  # a full or closed stdout fails here, not at exit
        if _RECEIVED:  # interrupted, but a library swallowed the exception and finished
            print("interrupted; the command finished, but its result may be incomplete.",
                  file=sys.stderr)
            code = EXIT_TERMINATED if isinstance(_stop_exception(_RECEIVED[0]), Terminated) \
                else EXIT_INTERRUPTED
    except CstosimError as exc:
        code = _fail(exc.diagnostics, exc.omitted, exc.where())
    except BrokenPipeError:
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    except _StdoutClosed:
        print("error[cannot_write]: standard output is closed; nothing was written\n"
              "  hint: redirect the output to a file, or use `--output FILE`", file=sys.stderr)
        code = EXIT_BAD_INPUT
    except OSError as exc:
        if not _is_stdout_fault(exc):
            raise
        _silence_stdout()
        print(f"error[cannot_write]: cannot write to standard output: {exc.strerror}\n"
              "  hint: free some space, or write elsewhere with `--output FILE`",
              file=sys.stderr)
        code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; no output was written.", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Terminated:
        print("terminated; no output was written.", file=sys.stderr)
        code = EXIT_TERMINATED
    raise typer.Exit(code)


class _StdoutClosed(OSError):
    """Written to a standard output that was closed when cstosim started (``>&-``)."""


class _ClosedStream:
    """Stands in for ``sys.stdout`` when file descriptor 1 is closed."""

    def write(self, text: str) -> int:
        raise _StdoutClosed(9, "standard output is closed")

    def flush(self) -> None:
        pass


def _is_stdout_fault(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EDQUOT, errno.EFBIG)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def _rules(path: Path | None) -> CompiledRules | None:
    from cstosim.api import load_rules

    return load_rules(path) if path is not None else None


def parse_sets(sets: list[str], rules: CompiledRules) -> dict[str, Any]:
    """Parse ``--set NAME=VALUE`` and ``--set READING.NAME=VALUE`` options, typed like the
    rules' parameters. They win over the scenario's and every reading's own values."""
    from cstosim.compile import param_problem
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
        reading, _, param = name.rpartition(".")
        if reading and reading not in rules.spec.interpretations:
            problems.append(Diagnostic("unknown_interpretation", where,
                                       f"unknown interpretation `{reading}` in `--set {name}`",
                                       did_you_mean(reading, rules.spec.interpretations)
                                       + "; `--set READING.NAME=VALUE` sets a value for one reading"))
            continue
        if param not in rules.params:
            problems.append(Diagnostic("unknown_parameter", where, f"unknown parameter `{param}`",
                                       did_you_mean(param, rules.params)))
            continue
        value = load_text(f"v: {raw}" if raw.strip() else "v: ''", "<command line>").data["v"]
        found = param_problem(rules.spec, param, value)
        if found:
            problems.append(Diagnostic("type_mismatch", where, *found))
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
    color: Annotated[Color, typer.Option(
        "--color", help="Colour and terminal width for the table: `auto` on a terminal only; "
                        "NO_COLOR turns colour off.")] = Color.auto,
) -> None:
    """Run scenarios and show admissions, classifications, obligations and tensions."""

    def body() -> int:
        from cstosim.api import evaluate, load_scenario
        from cstosim.output import write_atomic
        from cstosim.render import render
        from cstosim.render.json import dumps, report_json

        _no_duplicates(scenarios)
        if format in (Format.html, Format.svg) and len(scenarios) > 1:
            from cstosim.errors import CstosimError, Diagnostic, Location

            raise CstosimError([Diagnostic(
                "bad_option", Location("<command line>"),
                f"`--format {format.value}` writes one document for one scenario, not {len(scenarios)}",
                f"run each scenario on its own (`--output NAME.{format.value}` for each), or compare "
                "two with `cstosim diff A B --format html`")])
        base = _rules(rules)
        console = _console(color) if format is Format.table and output is None else None
        texts, reports, loaded = [], [], []
        for path in scenarios:
            compiled, scenario = load_scenario(path, base)
            loaded.append((compiled, scenario))
            params = parse_sets(set_ or [], compiled)
            report = evaluate(compiled, scenario, explain=explain.value, params=params,
                              interpretations=_interpretations(compiled, interpretation))
            reports.append(report)
            if console is not None:
                from cstosim.render.text import to_text
                texts.append(to_text(report, width=max(40, console.width)))
            elif format is Format.html:
                from cstosim.render.html import to_html
                from cstosim.timeline import timeline

                texts.append(to_html(report, timeline(compiled.program, scenario.case)))
            else:
                texts.append(render(report, format.value))
        if format is Format.json and len(reports) > 1:
            text = dumps([report_json(r) for r in reports])
        else:
            text = ("\n" + "=" * 80 + "\n\n").join(texts)
        if output is not None:
            write_atomic(output, text, force=force,
                         inputs=[*scenarios, *(str(c.file) for c, _ in loaded)])
            print(f"wrote {output}", file=sys.stderr)
        elif console is not None:
            from cstosim.render.terminal import styled
            readings = tuple(dict.fromkeys(r for rep in reports for r in rep.interpretations))
            console.print(styled(text, readings), end="", soft_wrap=True)
        else:
            sys.stdout.write(text)
        violations = [v for compiled, scenario in loaded
                      for v in _property_failures(compiled, scenario)]
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
        from cstosim.api import file_kind, load_rules, scenario_from_document
        from cstosim.errors import CstosimError, Omitted
        from cstosim.load import load_file

        _no_duplicates(files)
        base = _rules(rules)
        problems, omitted = [], 0
        rest: list[Omitted] = []
        for path in files:
            try:
                doc = load_file(path, defer=True)
                if file_kind(doc) == "scenario":
                    scenario_from_document(doc, base)
                    print(f"ok: {path} (scenario)")
                else:
                    load_rules(path)
                    print(f"ok: {path} (rules)")
            except CstosimError as exc:
                problems.extend(exc.diagnostics)
                omitted += exc.omitted
                rest.extend(exc.rest)
        if problems:
            raise CstosimError(problems, omitted, rest)
        return EXIT_OK

    _guard(body)


@app.command()
def test(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Scenario files or folders (default: scenarios/).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file to test against.")] = None,
    keyword: Annotated[str | None, typer.Option(
        "-k", help="Run only the files whose path or scenario name contains this text "
                   "(case-insensitive).")] = None,
    format_: Annotated[DiffFormat, typer.Option("--format", help="Output format.")] = DiffFormat.table,
    coverage: Annotated[bool, typer.Option(
        "--coverage", help="Report which rules matched and which condition branches (each "
                           "comparison true and false) the scenarios exercised.")] = False,
    fail_under: Annotated[float | None, typer.Option(
        min=0, max=100, help="With --coverage: exit 1 if overall coverage (rules matched plus "
                             "branches covered) is below this percentage.")] = None,
) -> None:
    """Run the `expect` blocks of scenario files; exit 1 if any expectation fails."""

    def body() -> int:
        from cstosim.api import evaluate, load_scenario
        from cstosim.errors import CstosimError, Diagnostic, Location
        from cstosim.expect import ExpectationResult, check

        files: list[Path] = []
        for p in paths or [Path("scenarios")]:
            if p.is_dir():
                files.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
            elif p.exists() or p.is_symlink():  # a dangling or looping link: the loader says
                files.append(p)
            else:
                raise CstosimError([Diagnostic("file_not_found", Location(str(p)),
                                               f"`{p}` does not exist", "give a file or a folder")])
        _no_duplicates(files)
        if fail_under is not None and not coverage:
            raise CstosimError([Diagnostic("bad_option", Location("<command line>"),
                                           "`--fail-under` applies to coverage", "add `--coverage`")])
        base = _rules(rules)
        as_json = format_ is DiffFormat.json
        failed = passed = 0
        selected = 0
        measured: dict[str, Any] = {}
        records: list[dict[str, Any]] = []
        for path in files:
            compiled, scenario = load_scenario(path, base)
            if keyword is not None and keyword.lower() not in f"{path} {scenario.spec.name}".lower():
                continue
            selected += 1
            if scenario.spec.expect is None:
                records.append({"file": str(path), "status": "skip", "passed": 0, "failed": 0,
                                "failures": []})
                if not as_json:
                    print(f"skip {path}: no expect block")
                continue
            # Coverage reads what the report records as tested, which needs explain on.
            report = evaluate(compiled, scenario, explain="full" if coverage else "off")
            if coverage:
                from cstosim.coverage import Coverage

                measured.setdefault(compiled.file, Coverage(compiled)).add(report)
            results = check(report, scenario.spec.expect)
            broken = _failed_properties(compiled, scenario)
            results += [ExpectationResult(f"property `{p}` holds",
                                          "violated" if p in broken else "holds", p not in broken)
                        for p in scenario.spec.expect.properties]
            bad = [r for r in results if not r.passed]
            records.append({"file": str(path), "status": "fail" if bad else "ok",
                            "passed": len(results) - len(bad), "failed": len(bad),
                            "failures": [{"expected": r.expected, "found": r.actual} for r in bad]})
            if not as_json:
                print(f"{'FAIL' if bad else 'ok  '} {path} ({len(results) - len(bad)}/{len(results)})")
                for r in bad:
                    print(f"     expected {r.expected}; found {r.actual}")
            failed += len(bad)
            passed += len(results) - len(bad)
        if keyword is not None and not selected:
            raise CstosimError([Diagnostic(
                "nothing_to_test", Location("<command line>"),
                f"`-k {keyword}` selects none of the {len(files)} file(s)",
                "match part of a file path or a scenario's `name`")])
        if not passed + failed:
            # Like a pytest run that collects nothing: a green result would prove nothing.
            where = ", ".join(str(p) for p in paths or [Path("scenarios")])
            raise CstosimError([Diagnostic(
                "nothing_to_test", Location(where),
                f"nothing to check in {len(files)} file(s): no `expect` block has an expectation",
                "name scenario files that have an `expect` block, or add one")])
        summaries = [c.summary() for _, c in sorted(measured.items())]
        low = [s for s in summaries if fail_under is not None and s["percent"] < fail_under]
        if as_json:
            import json

            doc: dict[str, Any] = {"passed": passed, "failed": failed, "files": records}
            if coverage:
                doc["coverage"] = summaries
                doc["fail_under"] = fail_under
            print(json.dumps(doc, indent=2, sort_keys=True))
        else:
            print(f"{passed} passed, {failed} failed")
            if coverage:
                from cstosim.coverage import table

                for s in summaries:
                    print(table(s))
        for s in low:
            print(f"coverage of {s['rules_file']} is {s['percent']}%, under --fail-under {fail_under}%",
                  file=sys.stderr)
        return EXIT_EXPECTATION if failed or low else EXIT_OK

    _guard(body)


@app.command()
def check(
    rules: Annotated[Path | None, typer.Option(help="Rules file to check (default: bundled).")] = None,
    examples: Annotated[int, typer.Option(min=1, max=1_000_000,
                                          help="Generated scenarios per property.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed for a reproducible run.")] = 0,
    property_: Annotated[list[str] | None, typer.Option(
        "--property", help="Check only these properties (repeatable).")] = None,
    budget: Annotated[float | None, typer.Option(
        min=0.0, help="Seconds of wall time; then no new scenario is generated and the "
                      "properties not fully tried are reported as cut short.")] = None,
    jobs: Annotated[int | None, typer.Option(
        min=1, max=512, help="Worker processes (default: one per core; 1 runs in-process).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for counterexample scenario files.")
                   ] = Path("counterexamples"),
    force: Annotated[bool, typer.Option(help="Replace existing counterexample files.")] = False,
) -> None:
    """Property-test a rules file on all cores; write a runnable counterexample for each failure."""

    def body() -> int:
        import atexit
        import os
        import shutil
        import tempfile
        import time

        # hypothesis keeps a cache under ./.hypothesis; keep it out of the user's folder
        # unless they name one (HYPOTHESIS_STORAGE_DIRECTORY); workers inherit the setting
        if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
            cache = tempfile.mkdtemp(prefix="cstosim-hypothesis-")
            os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = cache
            atexit.register(shutil.rmtree, cache, True)
        from cstosim.api import DEFAULT_RULES, load_rules
        from cstosim.check import check_rules
        from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
        from cstosim.model import PROPERTY_IDS
        from cstosim.output import write_atomic
        from cstosim.pool import WorkerDied, cores

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
        workers = jobs if jobs is not None else cores()
        only = tuple(property_ or ())
        n_props = len(only and set(only)) or len(PROPERTY_IDS)
        limit = f", budget {budget:g} s" if budget is not None else ""
        print(f"checking {compiled.file}: {n_props} properties x {examples} examples, seed {seed}, "
              f"{workers} worker{'s' if workers != 1 else ''}{limit}", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            with _check_progress(n_props, examples) as progress:
                results = check_rules(compiled, examples=examples, seed=seed, only=only,
                                      rules_ref=ref, progress=progress, jobs=workers, budget=budget)
        except WorkerDied as exc:
            raise _worker_died(exc, "a check worker process stopped before finishing its examples",
                               "try fewer `--jobs` or fewer `--examples`") from None
        wall = time.monotonic() - started

        failed = cut = 0
        for result in results:
            if not result.passed:
                mark = "FAIL"
            elif result.cut_short:
                mark, cut = "cut ", cut + 1
            else:
                mark = "ok  "
            tried = (f"{result.examples} of {result.planned} scenarios, budget spent"
                     if result.cut_short else f"{result.examples} scenarios")
            print(f"{mark} {result.id} ({tried}): {result.meaning}", flush=True)
            if result.passed or result.counterexample is None:
                continue
            failed += 1
            for v in result.violations[:5]:
                print(f"     {v}")
            out.mkdir(parents=True, exist_ok=True)
            target = out / f"{result.id}.yaml"
            n = 1
            while True:  # the first free name, even against a concurrent `check`
                try:
                    write_atomic(target, result.counterexample, force=force)
                    break
                except CstosimError as exc:
                    if force or exc.diagnostics[0].code != "file_exists" or n > 10_000:
                        raise
                n += 1
                target = out / f"{result.id}-{n}.yaml"
            print(f"     counterexample: {target} (run it with `cstosim run {target}`)")
        if failed:
            print(f"{failed} properties failed")
        elif cut:
            print(f"no violation found, but {cut} of {len(results)} properties were cut short by "
                  f"--budget before all their examples ran: they are not shown to hold")
        else:
            print("all properties hold")
        total = sum(r.examples for r in results)
        print(f"checked {len(results)} properties on {total:,} scenarios in {wall:.1f} s with "
              f"{workers} worker{'s' if workers != 1 else ''}", file=sys.stderr)
        return EXIT_EXPECTATION if failed else EXIT_OK

    _guard(body)


@contextmanager
def _check_progress(n_props: int, examples: int) -> Iterator[Callable[[str, int, bool], None]]:
    """A rich progress bar with an ETA on a terminal; nothing shown otherwise (the summary line
    says it). Either way each report is a checkpoint for a stop signal a library swallowed."""
    if not sys.stderr.isatty():
        yield lambda pid, tried, finished: _checkpoint()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    total = bar.add_task(f"{n_props} properties", total=n_props * examples)
    tasks: dict[str, Any] = {}
    seen: dict[str, int] = {}

    def update(pid: str, tried: int, finished: bool) -> None:
        _checkpoint()
        if pid not in tasks:
            tasks[pid] = bar.add_task(f"  {pid}", total=examples)
        done = examples if finished else min(tried, examples)
        bar.update(total, advance=done - seen.get(pid, 0))
        seen[pid] = done
        bar.update(tasks[pid], completed=done)
        if finished:
            bar.remove_task(tasks[pid])

    with bar:
        yield update


@app.command()
def fmt(
    files: Annotated[list[Path], typer.Argument(help="Rules or scenario files to format.")],
    check_: Annotated[bool, typer.Option(
        "--check", help="Change nothing; exit 1 and name the files that are not canonical.")] = False,
) -> None:
    """Rewrite rules and scenario files in the canonical layout, keeping their comments."""

    def body() -> int:
        import os

        from cstosim.errors import CstosimError
        from cstosim.fmt import format_text
        from cstosim.load import read_text
        from cstosim.output import write_atomic

        problems = []
        todo: list[tuple[Path, str]] = []
        for f in files:
            try:
                text = read_text(f)
                formatted = format_text(text, str(f))
            except CstosimError as exc:
                problems += exc.diagnostics
                continue
            if formatted != text:
                todo.append((f, formatted))
        if problems:  # every file's problems at once, and nothing written
            raise CstosimError(problems)
        if check_:
            for f, _ in todo:
                print(f"would reformat {f}")
            print(f"{len(todo)} of {len(files)} file(s) would be reformatted" if todo
                  else f"{len(files)} file(s) already in the canonical layout", file=sys.stderr)
            return EXIT_EXPECTATION if todo else EXIT_OK
        for f, formatted in todo:
            # a symlink stays a link: the file it points to is the one rewritten
            write_atomic(os.path.realpath(f), formatted, force=True)
            print(f"reformatted {f}")
        print(f"{len(todo)} file(s) reformatted, {len(files) - len(todo)} unchanged", file=sys.stderr)
        return EXIT_OK

    _guard(body)


@app.command()
def prove(
    rules: Annotated[Path | None, typer.Option(help="Rules file to prove (default: bundled).")] = None,
    property_: Annotated[list[str] | None, typer.Option(
        "--property", help="Prove only these properties (repeatable).")] = None,
    interpretation: Annotated[list[str] | None, typer.Option(
        help="Prove under these readings only (repeatable; default: all).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for counterexample scenario files.")
                   ] = Path("counterexamples"),
    force: Annotated[bool, typer.Option(help="Replace existing counterexample files.")] = False,
    format_: Annotated[DiffFormat, typer.Option("--format", help="Output format.")] = DiffFormat.table,
) -> None:
    """Prove properties of a rules file exactly with Z3; write a scenario for each failure."""

    def body() -> int:
        import json
        import os
        import time

        from cstosim.api import load_rules
        from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
        from cstosim.output import write_atomic
        from cstosim.prove import PROOF_IDS, prove_rules

        for pid in property_ or []:
            if pid not in PROOF_IDS:
                raise CstosimError([Diagnostic("unknown_property", Location("<command line>"),
                                               f"unknown proof property `{pid}`",
                                               did_you_mean(pid, PROOF_IDS))])
        if out.exists() and not out.is_dir():
            raise CstosimError([Diagnostic("not_a_folder", Location(str(out)),
                                           f"`{out}` exists and is not a folder",
                                           "give a folder for counterexamples with --out")])
        compiled = load_rules(rules)
        names = _interpretations(compiled, interpretation) or ()
        ref = os.path.relpath(rules, out.resolve()) if rules is not None else None
        started = time.perf_counter()
        results = prove_rules(compiled, only=tuple(property_ or ()), interpretations=names,
                              rules_ref=ref)
        took = time.perf_counter() - started
        written: list[tuple[Any, Path]] = []
        for result in results:
            for n, finding in enumerate(result.findings, 1):
                if finding.scenario is None:
                    continue
                out.mkdir(parents=True, exist_ok=True)
                target = out / f"prove-{result.id}-{n}.yaml"
                write_atomic(target, finding.scenario, force=force)
                written.append((finding, target))
        where = {id(f): t for f, t in written}
        failed = sum(not r.passed for r in results)
        if format_ is DiffFormat.json:
            doc = {"rules": compiled.file, "passed": not failed, "properties": [
                {**r.to_json(), "findings": [{**f.to_json(), "scenario": str(where[id(f)])
                                              if id(f) in where else None} for f in r.findings]}
                for r in results]}
            print(json.dumps(doc, indent=2, sort_keys=True))
        else:
            for r in results:
                print(f"{'ok  ' if r.passed else 'FAIL'} {r.id} ({r.queries} queries): {r.meaning}")
                for note in r.notes:
                    print(f"     note: {note}")
                for f in r.findings:
                    print(f"     {f.message}")
                    if id(f) in where:
                        again = "" if f.replayed else " (the engine did not reproduce it; please report)"
                        print(f"     counterexample: {where[id(f)]} (run it with "
                              f"`cstosim test {where[id(f)]}`){again}")
            print(f"{failed} properties failed" if failed else "all properties proved")
        print(f"proved {len(results)} properties of {compiled.file} in {took:.2f} s", file=sys.stderr)
        return EXIT_EXPECTATION if failed else EXIT_OK

    _guard(body)


def _interpretations(compiled: CompiledRules, names: list[str] | None) -> tuple[str, ...] | None:
    from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean

    for i, name in enumerate(names or []):
        if name not in compiled.spec.interpretations:
            raise CstosimError([Diagnostic("unknown_interpretation", Location("<command line>"),
                                           f"unknown interpretation `{name}`",
                                           did_you_mean(name, compiled.spec.interpretations))])
        if name in (names or [])[:i]:
            raise CstosimError([Diagnostic("duplicate_interpretation", Location("<command line>"),
                                           f"`--interpretation {name}` is given twice",
                                           "give each interpretation once")])
    return tuple(names) if names else None


@app.command()
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    why: Annotated[str | None, typer.Option(help="Id of a conclusion that arose "
                                                 "(obligation, tension or classification).")] = None,
    why_not: Annotated[str | None, typer.Option(
        "--why-not", help="A conclusion that did not arise: COMMITMENT:DEBTOR->CREDITOR:"
                          "INCIDENT@INTERPRETATION or INCIDENT@INTERPRETATION=LABEL.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a parameter: NAME=VALUE.")
                    ] = None,
    interpretation: Annotated[list[str] | None, typer.Option(
        help="Evaluate only these interpretations (repeatable).")] = None,
) -> None:
    """Explain why a conclusion arose, or why not and what would make it arise."""

    def body() -> int:
        from cstosim.api import evaluate, load_scenario
        from cstosim.errors import CstosimError, Diagnostic, Location
        from cstosim.explain import why as why_of
        from cstosim.explain import why_not as why_not_of
        from cstosim.render.explain import why_lines, why_not_text

        if (why is None) == (why_not is None):
            raise CstosimError([Diagnostic("bad_option", Location("<command line>"),
                                           "give exactly one of `--why` and `--why-not`",
                                           "list conclusion ids with `cstosim run ... --format json`")])
        compiled, sc = load_scenario(scenario, _rules(rules))
        params = parse_sets(set_ or [], compiled)
        names = _interpretations(compiled, interpretation)
        if names:
            sc = sc.with_spec(sc.spec.model_copy(update={"interpretations": list(names)}))
        sc = sc.with_overrides(params)
        if why is not None:
            report = evaluate(compiled, sc, explain="full")
            print("\n".join(why_lines(why_of(report, why))))
            return EXIT_OK
        assert why_not is not None
        sys.stdout.write(why_not_text(why_not_of(compiled, sc, why_not)))
        return EXIT_OK

    _guard(body)


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="Scenario A.")],
    b: Annotated[Path | None, typer.Argument(help="Scenario B (default: A again, with the -b "
                                                  "options).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules for A (and B unless --rules-b).")] = None,
    rules_b: Annotated[Path | None, typer.Option("--rules-b", help="Rules for B.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Parameter for A (and B).")] = None,
    set_b: Annotated[list[str] | None, typer.Option("--set-b", help="Parameter for B only.")] = None,
    interpretation: Annotated[list[str] | None, typer.Option(help="Interpretations for A (and B).")
                              ] = None,
    interpretation_b: Annotated[list[str] | None, typer.Option(
        "--interpretation-b", help="Interpretations for B.")] = None,
    format: Annotated[CompareFormat, typer.Option("--format", "-f")] = CompareFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write to this file instead of stdout.")] = None,
    force: Annotated[bool, typer.Option(help="Allow --output to replace an existing file.")] = False,
) -> None:
    """Compare two scenarios, or one under two rules files, parameters or interpretations."""

    def body() -> int:
        from cstosim.api import load_scenario
        from cstosim.compare import Side, compare
        from cstosim.render.diff import difference_text
        from cstosim.render.text import render_difference

        base_a = _rules(rules)
        ra, sa = load_scenario(a, base_a)
        rules_for_b = _rules(rules_b) if rules_b is not None else base_a
        rb, sb = load_scenario(b if b is not None else a, rules_for_b)
        pa = parse_sets(set_ or [], ra)
        pb = {**parse_sets(set_ or [], rb), **parse_sets(set_b or [], rb)}
        side_a = Side(ra, sa, pa, _interpretations(ra, interpretation))
        side_b = Side(rb, sb, pb, _interpretations(rb, interpretation_b or interpretation))
        rep_a, rep_b, d = compare(side_a, side_b)
        if format is CompareFormat.json:
            text = difference_text(d)
        elif format is CompareFormat.html:
            from cstosim.render.html import diff_html

            text = diff_html(d, rep_a, rep_b)
        else:
            text = render_difference(d, rep_a, rep_b)
        if output is not None:
            from cstosim.output import write_atomic

            write_atomic(output, text, force=force, inputs=[a, *([b] if b else [])])
            print(f"wrote {output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return EXIT_OK

    _guard(body)


class SweepFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ExecutorKind(StrEnum):
    local = "local"
    dask = "dask"


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    vary: Annotated[list[str], typer.Option(help="NAME=RANGE: `incident.killed=0..20`, "
                                                 "`ID.days_on_territory=1,7,30`, "
                                                 "`params.NAME=a..b:step` (repeatable).")],
    rules: Annotated[Path | None, typer.Option(help="Rules file.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a parameter: NAME=VALUE.")
                    ] = None,
    interpretation: Annotated[list[str] | None, typer.Option(
        help="Evaluate only these interpretations (repeatable).")] = None,
    format: Annotated[SweepFormat, typer.Option("--format", "-f")] = SweepFormat.table,
    workers: Annotated[int, typer.Option(min=0, max=256, help="Local worker processes; 0 picks "
                                                           "one per core for large sweeps.")] = 0,
    executor: Annotated[ExecutorKind, typer.Option(help="`local` processes or a `dask` cluster.")
                        ] = ExecutorKind.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    force: Annotated[bool, typer.Option(help="Allow --output to replace an existing file.")] = False,
) -> None:
    """Vary facts or parameters over ranges and report where conclusions flip."""

    def body() -> int:
        import time

        from cstosim import sweep as sw
        from cstosim.api import load_scenario
        from cstosim.errors import CstosimError, Diagnostic, Location
        from cstosim.output import write_atomic
        from cstosim.pool import WorkerDied, process_pool, stop_executor
        from cstosim.render import sweep as sweep_text

        compiled, sc = load_scenario(scenario, _rules(rules))
        params = parse_sets(set_ or [], compiled)
        names = _interpretations(compiled, interpretation)
        axes = tuple(sw.parse_axis(v, compiled, sc) for v in vary)
        total = sw.size(axes)
        if total > sw.MAX_VARIANTS:
            raise CstosimError([Diagnostic("bad_sweep", Location("<command line>"),
                                           f"the sweep has {total:,} variants",
                                           f"at most {sw.MAX_VARIANTS:,}; narrow the ranges")])
        rules_path = str(rules) if rules else (
            str(Path(scenario).parent / sc.spec.rules) if sc.spec.rules else None)
        job = sw.Job(rules_path, str(scenario), tuple(sorted(params.items())), axes, names)
        n_workers = workers or (sw.default_workers() if total >= 2000 else 1)
        chunk = max(8, min(20_000, total // (n_workers * 8) or 8))
        started = time.monotonic()
        bar = _Progress(f"{total:,} variants", total)
        if not bar.live:  # a log gets one line when the work starts and one when it ends
            print(f"sweeping {total:,} variants on {n_workers} worker"
                  f"{'s' if n_workers > 1 else ''}", file=sys.stderr, flush=True)

        def progress(done: int, n: int) -> None:
            _checkpoint()
            bar.update(done)

        def _end_progress() -> None:
            bar.close()
        # the files as validated above are the ones every variant evaluates, read once
        sw.prime(job, compiled, sc)
        try:
            if executor is ExecutorKind.dask:
                remote = _dask_executor(scheduler)
                try:
                    result = sw.sweep(job, remote, chunk=chunk, progress=progress)
                except BaseException:
                    stop_executor(remote)  # cancel what the cluster still has queued
                    raise
                remote.shutdown()
            elif n_workers > 1:
                with process_pool(n_workers) as pool:
                    result = sw.sweep(job, pool, chunk=chunk, progress=progress)
            else:
                result = sw.sweep(job, None, chunk=chunk, progress=progress)
        except WorkerDied as exc:
            _end_progress()
            raise _worker_died(exc, "a sweep worker process stopped before finishing its variants",
                               "try fewer `--workers` or a smaller sweep") from None
        except BaseException:
            _end_progress()
            raise
        _end_progress()
        wall = time.monotonic() - started
        print(f"swept {total:,} variants in {wall:.1f} s ({total / max(wall, 1e-9):,.0f} "
              "variants/s)", file=sys.stderr, flush=True)
        if format is SweepFormat.json:
            text = sweep_text.to_json(result)
        elif format is SweepFormat.csv:
            text = sweep_text.to_csv(result)
        else:
            text = sweep_text.to_text(result)
        if output is not None:
            write_atomic(output, text, force=force,
                         inputs=[scenario, *([rules] if rules is not None else [])])
            print(f"wrote {output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return EXIT_OK

    _guard(body)


def _worker_died(exc: Any, what: str, fix: str) -> BaseException:
    """What a worker's death means for the command: our own termination when the whole
    process group was sent SIGTERM, else a located error (exit 2)."""
    import signal

    from cstosim.errors import CstosimError, Diagnostic, Location

    _checkpoint()  # our own stop signal, if it came with the workers' end
    if exc.signum == signal.SIGTERM:
        return Terminated()
    return CstosimError([Diagnostic("worker_died", Location("<command line>"), f"{what} ({exc})",
                                    f"the machine may be short of memory: {fix}")])


def _dask_executor(scheduler: str | None) -> Any:
    """An Executor backed by a Dask cluster (optional extra: `pip install cstosim[dask]`)."""
    from cstosim.errors import CstosimError, Diagnostic, Location

    where = Location("<command line>")
    if not scheduler:
        raise CstosimError([Diagnostic("bad_option", where, "`--executor dask` needs `--scheduler ADDRESS`",
                                       "e.g. `--scheduler tcp://127.0.0.1:8786`")])
    try:
        import distributed
    except ImportError:
        raise CstosimError([Diagnostic("dask_missing", where, "the Dask executor is not installed",
                                       "install it with `pip install 'cstosim[dask]'`")]) from None
    try:
        dask: Any = distributed  # untyped optional extra
        client = dask.Client(scheduler, timeout=10)
    except OSError as exc:
        raise CstosimError([Diagnostic("dask_unreachable", where,
                                       f"cannot reach the Dask scheduler `{scheduler}`: {exc}",
                                       "check the address and that the scheduler runs")]) from None
    return client.get_executor()


class FileKind(StrEnum):
    rules = "rules"
    scenario = "scenario"


class ShowFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def show(
    sections: Annotated[list[str] | None, typer.Argument(
        help="Sections to list: states, bodies, memberships, relations, commitments, "
             "parameters, interpretations (all when none is given).", show_default=False)] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="List only dated entries in force on this date (YYYY-MM-DD).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules file (default: the bundled rules).")] = None,
    format: Annotated[ShowFormat, typer.Option(help="Output format.")] = ShowFormat.table,
) -> None:
    """List what the rules contain (as of a date), to write a what-if without reading them."""

    def body() -> int:
        import datetime as dt

        from cstosim.api import load_rules
        from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
        from cstosim.render import show as render_show
        from cstosim.show import SECTIONS, tables

        where = Location("<command line>")
        chosen = tuple(sections or SECTIONS)
        problems = [Diagnostic("bad_option", where, f"unknown section `{s}`",
                               did_you_mean(s, SECTIONS))
                    for s in chosen if s not in SECTIONS]
        day = None
        if as_of is not None:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                problems.append(Diagnostic("bad_option", where, f"`--as-of {as_of}` is not a date",
                                           "write it as YYYY-MM-DD, e.g. `--as-of 2021-05-12`"))
        if problems:
            raise CstosimError(problems)
        found = tables(load_rules(rules).spec, chosen, day)
        out = render_show.to_json(found, day) if format is ShowFormat.json else (
            render_show.to_text(found, day))
        sys.stdout.write(out)
        return EXIT_OK

    _guard(body)


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


class _Progress:
    """A rich progress bar with rate and ETA on stderr when it is a terminal; nothing
    otherwise (the command prints a line when it starts and one when it ends)."""

    def __init__(self, what: str, total: int) -> None:
        isatty = getattr(sys.stderr, "isatty", None)
        self.live = bool(isatty and isatty())
        if not self.live:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(),
                             TaskProgressColumn(), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task(what, total=total)
        self._bar.start()

    def update(self, done: int) -> None:
        if self.live:
            self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self.live:
            self._bar.stop()
            self.live = False


def _console(color: Color) -> Any:
    """A rich console for the terminal report, or None for plain text (not a terminal and
    not ``--color always``, or ``--color never``): files and pipes get the stable 80-column
    text the golden files hold."""
    isatty = getattr(sys.stdout, "isatty", None)  # a closed stdout (`>&-`) has none
    if color is Color.never or (color is Color.auto and not (isatty and isatty())):
        return None
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 here; a broken pipe is exit 141 in every command (`_guard`)
            self.quiet = True
            raise BrokenPipeError

    return _Console(file=sys.stdout, force_terminal=True, highlight=False, markup=False,
                    emoji=False)


def _no_duplicates(paths: list[Path]) -> None:
    import os

    from cstosim.errors import CstosimError, Diagnostic, Location

    seen: set[Path] = set()
    for p in paths:
        key = Path(os.path.realpath(p))  # never raises, even on a symlink loop
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
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Compile the rules afresh: read and write no cache "
                           "(also CSTOSIM_NO_CACHE=1).")] = False,
) -> None:
    """cstosim: CSTO membership-rules simulation."""
    if no_cache:
        from cstosim import cache

        cache.disable()


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that pending writes clean up."""


_RECEIVED: list[int] = []
"""Stop signals received, oldest first: an interrupt swallowed on its way (raised inside a
``__del__`` or a library's ``except BaseException``) is raised again at the next
:func:`_checkpoint`, and a command that still finishes exits 130/143."""


def _stop_exception(signum: int) -> BaseException:
    import signal

    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _on_stop_signal(signum: int, frame: object) -> None:
    _RECEIVED.append(signum)
    raise _stop_exception(signum)


def _checkpoint() -> None:
    """Raise the interrupt again if one was received and swallowed (long commands call this
    from their progress callbacks)."""
    if _RECEIVED:
        raise _stop_exception(_RECEIVED[0])


def _quiet_unraisable(hook: Any) -> Callable[[Any], None]:
    """An unraisable-exception hook that drops the interrupts :func:`_on_stop_signal` raised
    where Python cannot propagate them (they are recorded and raised again), instead of
    printing a traceback for them."""

    def quiet(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt | Terminated) and _RECEIVED:
            return
        hook(unraisable)

    return quiet


def entry() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGTERM, _on_stop_signal)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored by the shell
        signal.signal(signal.SIGINT, _on_stop_signal)
    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    # text a terminal's encoding cannot show (LC_ALL=C, PYTHONIOENCODING=ascii) is written
    # as backslash escapes rather than failing the command
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if sys.stdout is None:  # started with `>&-`
        sys.stdout = cast(Any, _ClosedStream())
    app()
