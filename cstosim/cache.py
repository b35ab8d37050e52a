"""A cache of compiled rules and of the ISO code sets, in the user's cache directory.

Compiling the bundled rules (parse, validate, compile every condition) and reading
pycountry's subdivision database cost more than the rest of ``cstosim run``'s own work.
Both depend only on their input, so their results are stored, keyed by:

- the input's content (SHA-256 of the rules file's bytes; the size and modification time
  of pycountry's database file) and the name the rules are shown under;
- cstosim's version and a fingerprint of its source files (size and modification time of
  each module, so an edited checkout never reads objects an older engine wrote), the
  pydantic version and the Python version.

Trust: an entry is a header, an HMAC-SHA256 of the key and payload under a secret made
once per cache directory (a file only the user can read), then the payload. An entry is
read only when its HMAC matches; anything else (a truncated write, a flipped byte, a
file copied from another machine or written by anyone without the secret) is ignored and
rebuilt, never unpickled. Payloads are pickles of this package's own frozen types,
unpickled by an unpickler that refuses any class outside cstosim and a few plain value
types, or JSON. Entries are written to a temporary file and moved into place with
``os.replace``, so a reader never sees half an entry.

Failures to read or write the cache (no home directory, a read-only disk) only mean
working without it. ``CSTOSIM_NO_CACHE=1`` or ``cstosim --no-cache`` turns it off (nothing
read, nothing written); ``CSTOSIM_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FORMAT = b"cstosim-cache/1\n"
"""The first bytes of every entry; a new layout gets a new number."""
_DIGEST = hashlib.sha256().digest_size
_SECRET_FILE = "secret"
_disabled = False


def disable() -> None:
    """Turn the cache off for this process (``cstosim --no-cache``)."""
    global _disabled
    _disabled = True
    os.environ["CSTOSIM_NO_CACHE"] = "1"  # for the sweep's worker processes too


def enabled() -> bool:
    """False under ``--no-cache`` or ``CSTOSIM_NO_CACHE`` set to anything but ``0`` or empty."""
    return not _disabled and os.environ.get("CSTOSIM_NO_CACHE", "") in ("", "0")


def directory() -> Path:
    """Where entries live: ``CSTOSIM_CACHE_DIR``, else the platform's user cache directory."""
    given = os.environ.get("CSTOSIM_CACHE_DIR")
    if given:
        return Path(given)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cstosim", appauthor=False))


def _engine_fingerprint() -> bytes:
    """Version and sources of the engine and of what its pickles refer to."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    try:
        from importlib.metadata import version

        h.update(version("cstosim").encode())
    except Exception:  # run from a source tree without metadata: sources decide
        h.update(b"unknown version")
    import pydantic

    h.update(f"|{pydantic.VERSION}|{sys.version}|{sys.implementation.cache_tag}|".encode())
    for p in sorted(here.rglob("*.py")):
        st = p.stat()
        h.update(f"{p.relative_to(here)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.digest()


_FINGERPRINT: bytes | None = None


def _fingerprint() -> bytes:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _engine_fingerprint()
    return _FINGERPRINT


def _secret(folder: Path, create: bool) -> bytes | None:
    """The directory's HMAC secret, made on first use; None when it cannot be read or made."""
    path = folder / _SECRET_FILE
    try:
        data = path.read_bytes()
        return data if len(data) == 32 else None
    except FileNotFoundError:
        if not create:
            return None
    except OSError:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            return data if len(data) == 32 else None
        return None
    except OSError:
        return None
    secret = os.urandom(32)
    try:
        _write_all(fd, secret)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return secret


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to a descriptor we opened, and close it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _entry_path(folder: Path, kind: str, key: bytes) -> Path:
    return folder / f"{kind}-{key.hex()[:40]}.bin"


def _read(kind: str, key: bytes) -> bytes | None:
    """The payload stored under ``key``, or None: missing, unreadable or not trusted."""
    folder = directory()
    secret = _secret(folder, create=False)
    if secret is None:
        return None
    try:
        blob = _entry_path(folder, kind, key).read_bytes()
    except OSError:
        return None
    head = len(FORMAT)
    if blob[:head] != FORMAT or len(blob) < head + _DIGEST:
        return None
    mac, payload = blob[head:head + _DIGEST], blob[head + _DIGEST:]
    if not hmac.compare_digest(mac, hmac.new(secret, key + payload, hashlib.sha256).digest()):
        return None
    return payload


def _write(kind: str, key: bytes, payload: bytes) -> None:
    """Store ``payload`` atomically; any failure leaves the cache as it was."""
    folder = directory()
    secret = _secret(folder, create=True)
    if secret is None:
        return
    mac = hmac.new(secret, key + payload, hashlib.sha256).digest()
    target = _entry_path(folder, kind, key)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=folder)
        _write_all(fd, FORMAT + mac + payload)
        os.replace(tmp, target)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# Classes a cached pickle may name: this package's own, and plain values.
_PLAIN = {("builtins", n) for n in ("frozenset", "set", "tuple", "list", "dict", "int", "float",
                                    "str", "bool", "bytes", "complex", "getattr")}
_PLAIN |= {("datetime", "date"), ("copyreg", "_reconstructor"), ("builtins", "object")}


class _OwnTypes(pickle.Unpickler):
    """Refuses any global that is not cstosim's or a plain value type."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "cstosim" or module.startswith("cstosim.") or (module, name) in _PLAIN:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def cached_object(kind: str, content: bytes, build: Callable[[], T], check: type[T]) -> T:
    """The object ``build()`` makes from ``content``, from the cache when a trusted entry
    exists (and is an instance of ``check``), else built and stored."""
    if not enabled():
        return build()
    key = hashlib.sha256(_fingerprint() + hashlib.sha256(content).digest()).digest()
    payload = _read(kind, key)
    if payload is not None:
        try:
            obj = _OwnTypes(io.BytesIO(payload)).load()
        except Exception:  # an entry this engine cannot read is rebuilt
            obj = None
        if isinstance(obj, check):
            return obj
    obj = build()
    try:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an object that cannot be pickled is just not cached
        return obj
    _write(kind, key, data)
    return obj


def cached_json(kind: str, content: bytes, build: Callable[[], Any]) -> Any:
    """As :func:`cached_object` for JSON-shaped data (no pickle involved)."""
    if not enabled():
        return build()
    key = hashlib.sha256(_fingerprint() + hashlib.sha256(content).digest()).digest()
    payload = _read(kind, key)
    if payload is not None:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            return json.loads(payload)
    value = build()
    _write(kind, key, json.dumps(value, sort_keys=True).encode())
    return value
