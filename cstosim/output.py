"""Writing files without losing anything: atomic replace, never a silent overwrite.

Used by the CLI for ``--output``; evaluation itself never writes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cstosim.errors import CstosimError, Diagnostic, Location


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: str | os.PathLike[str], text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    An existing file is replaced only with ``force``; a reader never sees a
    half-written file, and an interrupted write leaves the old file intact.
    """
    target = Path(path)
    if target.is_dir():
        raise CstosimError([Diagnostic("not_a_file", Location(str(target)),
                                       f"`{target}` is a directory", "name a file to write")])
    if target.exists() and not force:
        raise CstosimError([Diagnostic("file_exists", Location(str(target)),
                                       f"`{target}` already exists and would be overwritten",
                                       "choose another name, or pass `--force` to replace it")])
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CstosimError([Diagnostic("file_not_found", Location(str(target)),
                                       f"the folder `{parent}` does not exist",
                                       "create the folder first")])
    # mkstemp creates the file private (0600); give it the mode a plain open() would, or keep
    # the mode of the file it replaces.
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
