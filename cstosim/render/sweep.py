"""A sweep's result as text, CSV or JSON (``cstosim sweep``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cstosim.sweep import SweepResult


def to_json(result: SweepResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=True, default=str) + "\n"


def to_csv(result: SweepResult) -> str:
    """One row per variant: axis values, then each classification's label."""
    import csv
    import io

    labels = sorted({k for _, s in result.variants for k in s["labels"]})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([a.name for a in result.axes] + labels + ["obligations", "tensions"])
    for values, s in result.variants:
        w.writerow([*values, *(s["labels"].get(k) for k in labels),
                    sum(s["obligations"].values()), ";".join(s["tensions"])])
    return buf.getvalue()


def to_text(result: SweepResult) -> str:
    """The flips as readable lines, grouped by axis."""
    lines = [f"{len(result.variants):,} variants over " + ", ".join(
        f"{a.name} ({len(a.values)} values)" for a in result.axes)]
    if not result.flips:
        lines.append("no conclusion flips anywhere in the swept ranges")
    # Flips with the same step and the same changes are listed once, with every place they occur.
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for f in result.flips:
        key = (f["axis"], f["from"], f["to"], tuple(f["changes"]))
        grouped.setdefault(key, []).append(", ".join(f"{k}={v}" for k, v in f["at"].items()))
    for (axis, lo, hi, changes), places in grouped.items():
        where = [p for p in places if p]
        shown = "; ".join(where[:4]) + (f"; and {len(where) - 4} more" if len(where) > 4 else "")
        lines.append(f"{axis} {lo} -> {hi}" + (f" (at {shown})" if where else "") + ":")
        lines += [f"    {c}" for c in changes]
    return "\n".join(lines) + "\n"
