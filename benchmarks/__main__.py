"""``python -m benchmarks``: run the suite, print the table, write ``benchmarks/results/latest.json``.

Options: ``--quick`` for a ~30 s smoke run (smaller inputs, fewer samples, scaling to
4x only), ``--only GROUP`` to run some groups, ``--profile`` to also write a cProfile
report per group to ``benchmarks/results/profile-GROUP.txt``, ``--output`` for another
JSON path, ``--markdown`` to print the table in Markdown as well.

A group that fails (an assertion that the compared versions disagree, an engine
change the suite does not know) is reported and the others still run; the exit code
is then 1. Goals not met do not change the exit code: the figures are reported.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from benchmarks.harness import RESULTS, Figure, Settings, load_average, markdown, table, write_json

GROUPS = {
    "startup": "benchmarks.bench_startup",
    "conditions": "benchmarks.bench_conditions",
    "evaluate": "benchmarks.bench_evaluate",
    "loading": "benchmarks.bench_loading",
    "scaling": "benchmarks.bench_scaling",
    "check": "benchmarks.bench_check",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (~30 s)")
    parser.add_argument("--only", action="append", choices=sorted(GROUPS), metavar="GROUP",
                        help=f"run only this group (repeatable): {', '.join(GROUPS)}")
    parser.add_argument("--profile", action="store_true",
                        help="also write a cProfile report per group to benchmarks/results/")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json",
                        help="JSON file to write (default: benchmarks/results/latest.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--seed", type=int, default=Settings.seed, help="seed for generated inputs")
    args = parser.parse_args(argv)

    settings = Settings(quick=args.quick, seed=args.seed)
    groups = [g for g in GROUPS if not args.only or g in args.only]
    load = load_average()
    if load is not None and load > 0.5:
        print(f"note: load average {load:.2f} before starting; other work on this machine "
              "makes the figures noisy", file=sys.stderr)
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    started = time.perf_counter()
    for group in groups:
        t0 = time.perf_counter()
        print(f"[{group}] ...", file=sys.stderr, flush=True)
        module = importlib.import_module(GROUPS[group])
        try:
            got = module.run(settings)
        except Exception as exc:  # one broken group must not hide the others' figures
            errors[group] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"[{group}] FAILED: {errors[group]}", file=sys.stderr)
            traceback.print_exc()
            continue
        figures.extend(got)
        print(f"[{group}] {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        if args.profile:
            RESULTS.mkdir(parents=True, exist_ok=True)
            target = RESULTS / f"profile-{group}.txt"
            target.write_text(module.profile(settings) + "\n")
            print(f"[{group}] profile written to {target}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    write_json(args.output, figures, settings, elapsed, errors, load)
    print(table(figures))
    if args.markdown:
        print()
        print(markdown(figures))
    met = [f for f in figures if f.met is True]
    missed = [f for f in figures if f.met is False]
    print(f"\n{len(met)} goals met, {len(missed)} not met; {elapsed:.0f} s; "
          f"ratio = median / floor median; JSON: {args.output}")
    for group, err in errors.items():
        print(f"group {group} failed: {err}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
