"""The start-up floor: a minimal typer application with one command that imports pydantic and yaml.

``python benchmarks/floor_app.py run FILE`` and ``python benchmarks/floor_app.py --help``
are timed against ``cstosim run FILE`` and ``cstosim --help``: whatever cstosim takes
beyond this is its own cost, not the cost of the libraries it is built on.

``pydantic``'s top-level module imports lazily, so ``BaseModel`` is imported by name
(any program that validates must do so), and the app is shaped like cstosim's: a
callback plus a ``run`` command, help without rich markup. The command parses the file
and counts its keys, so its own work is close to nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import BaseModel

app = typer.Typer(name="floor", help="Start-up floor for the cstosim benchmarks.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)


class Summary(BaseModel):
    keys: int


@app.callback()
def main() -> None:
    """Floor application (one command)."""


@app.command()
def run(path: Annotated[Path, typer.Argument(help="A YAML file.")]) -> None:
    """Parse a YAML file and print how many top-level keys it has."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    print(Summary(keys=len(data)).model_dump_json())


if __name__ == "__main__":
    app()
