"""``cstosim show`` sections as aligned text or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from cstosim.show import Table

_WIDE = 60  # longer cells (sources, meanings) are cut at this width in text; JSON keeps them


def _cut(cell: str) -> str:
    return cell if len(cell) <= _WIDE else cell[:_WIDE - 1] + "…"


def to_text(tables: list[Table], as_of: dt.date | None) -> str:
    out: list[str] = []
    for t in tables:
        head = f"{t.name} ({len(t.rows):,}"
        head += f" in force on {as_of}" if as_of is not None and t.not_in_force else ""
        head += f"; {t.not_in_force:,} not in force then)" if t.not_in_force else ")"
        out.append(head)
        cells = [t.columns, *(tuple(_cut(c) for c in r) for r in t.rows)]
        widths = [max(len(r[i]) for r in cells) for i in range(len(t.columns))]
        for r in cells:
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if not t.rows:
            out.append("  (none)")
        out.append("")
    return "\n".join(out)


def to_json(tables: list[Table], as_of: dt.date | None) -> str:
    doc = {"as_of": str(as_of) if as_of else None,
           "sections": {t.name: {"rows": [dict(zip(t.columns, r, strict=True)) for r in t.rows],
                                 "not_in_force": t.not_in_force} for t in tables}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
