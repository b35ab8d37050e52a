"""Benchmark suite for cstosim: each figure is measured against a floor taken in the same run.

Run it from the repository root with ``python -m benchmarks`` (``--quick`` for a short
smoke run). It prints a table and writes ``benchmarks/results/latest.json``. It is not
part of the pytest suite: timings depend on the machine, so the figures are reported,
not asserted. What each figure means is in ``benchmarks/README.md``.

Modules:

* :mod:`benchmarks.harness` - timing helpers, the :class:`~benchmarks.harness.Figure`
  row, the table and the JSON file;
* :mod:`benchmarks.bench_startup` - CLI start-up against a minimal typer application
  (:mod:`benchmarks.floor_app`);
* :mod:`benchmarks.bench_conditions` - compiled conditions against hand-written
  functions (:mod:`benchmarks.handwritten`);
* :mod:`benchmarks.bench_evaluate` - scenario evaluation, tracing cost and sweeps;
* :mod:`benchmarks.bench_loading` - the safe loader plus validation against bare
  libyaml plus pydantic;
* :mod:`benchmarks.bench_scaling` - evaluation time as worlds and timelines grow;
* :mod:`benchmarks.generate` - the deterministic generated inputs all of these use.
"""
