"""Writing files without losing anything: atomic replace, never a silent overwrite.

Used by the CLI for ``--output``, counterexamples and templates; evaluation itself
never writes.
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


def _cannot(target: Path, exc: OSError, hint: str) -> CstosimError:
    return CstosimError([Diagnostic("cannot_write", Location(str(target)[:200]),
                                    f"cannot write `{target.name[:80]}`: {exc.strerror}", hint)])


def _check_target(target: Path, force: bool) -> None:
    if target.is_dir():
        raise CstosimError([Diagnostic("not_a_file", Location(str(target)),
                                       f"`{target}` is a directory", "name a file to write")])
    if target.exists() and not force:
        raise CstosimError([Diagnostic("file_exists", Location(str(target)),
                                       f"`{target}` already exists and would be overwritten",
                                       "choose another name, or pass `--force` to replace it")])
    if not target.parent.is_dir():
        raise CstosimError([Diagnostic("file_not_found", Location(str(target)),
                                       f"the folder `{target.parent}` does not exist",
                                       "create the folder first")])


def write_atomic(path: str | os.PathLike[str], text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    An existing file is replaced only with ``force``; a reader never sees a
    half-written file, and an interrupted write leaves the old file intact and no
    temporary file behind. The new file gets the mode a plain ``open`` would give
    it, or the mode of the file it replaces.
    """
    target = Path(path)
    try:
        _check_target(target, force)
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=".cstosim-", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # e.g. a name too long for the file system, or no permission
        raise _cannot(target, exc, "choose another file name or folder") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot(target, exc, "check the folder's permissions and free space") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
