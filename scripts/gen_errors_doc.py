"""Write docs/errors.md from the code registry in cstosim/errors.py.

Run it after adding or changing a code in ``cstosim.errors.CODES``:

    python scripts/gen_errors_doc.py            # rewrite docs/errors.md
    python scripts/gen_errors_doc.py --check    # exit 1 if docs/errors.md is stale

tests/test_errors_registry.py fails while the file is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cstosim.errors import codes_reference

TARGET = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the file is current")
    args = parser.parse_args(argv)
    text = codes_reference()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != text:
            print(f"{TARGET} is stale; run python scripts/gen_errors_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
