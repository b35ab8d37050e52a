"""A small process pool that dies with its caller: shared by ``check`` (and meant for ``sweep``).

Work goes to worker processes; results come back in completion order. The
pool is built so that an interrupt is quick and clean:

- workers ignore SIGINT (a Ctrl-C reaches the whole process group; only the
  parent decides what it means) and take SIGTERM's default action, whatever
  handler the parent had installed before forking;
- when the caller's loop ends for any reason (a KeyboardInterrupt, the CLI's
  SIGTERM exception, an error, or simply breaking out early), every worker is
  terminated and joined before the exception goes on, so no orphan keeps a core.

Workers can report progress through :func:`report`, which the parent receives
as ``progress`` callbacks while it waits. Nothing here prints or exits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_progress: Any = None  # the worker's end of the progress queue, set by _start
_listener: Callable[[tuple[Any, ...]], None] | None = None  # in-process work: see listen()
_POLL = 0.1  # seconds between looks at the results while waiting


def cores() -> int:
    """The cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def report(*message: object) -> None:
    """From inside a worker: send a progress message to the parent (ignored outside a pool)."""
    if _listener is not None:
        _listener(message)
    elif _progress is not None:
        _progress.put(message)


def listen(callback: Callable[[tuple[Any, ...]], None] | None) -> None:
    """Deliver :func:`report` messages to ``callback`` in this process (work run without a pool)."""
    global _listener
    _listener = callback


def _start(progress: Any, init: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    global _progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _progress = progress
    if init is not None:
        init(*args)


def run(fn: Callable[[T], R], items: Iterable[T], *, jobs: int,
        init: Callable[..., None] | None = None, init_args: tuple[Any, ...] = (),
        progress: Callable[[tuple[Any, ...]], None] | None = None) -> Iterator[tuple[int, R]]:
    """Apply ``fn`` to every item in ``jobs`` worker processes; yield (index, result) as each ends.

    ``items`` is read lazily, one item whenever a worker is free, so a caller can stop
    producing work (or skip some) in the light of the results it has had. ``fn`` and
    ``init`` must be module-level functions (they are pickled by name). ``init`` runs once
    in each worker with ``init_args``: load there what every task shares. An exception
    raised by ``fn`` is raised here, in the parent, after the pool is torn down.
    """
    source = iter(items)
    # fork where there is one: workers inherit the parent's loaded state instead of unpickling it
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)
    messages = ctx.Queue()
    pool = ctx.Pool(max(1, jobs), initializer=_start, initargs=(messages, init, init_args))
    ended: queue_mod.Queue[int] = queue_mod.Queue()  # filled by the pool's result thread
    try:
        pending: dict[int, AsyncResult[R]] = {}
        count = 0
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < max(1, jobs):
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                tell = _teller(ended, count)
                pending[count] = pool.apply_async(fn, (item,), callback=tell, error_callback=tell)
                count += 1
            if not pending:
                break
            _drain(messages, progress, wait=0)
            try:
                i = ended.get(timeout=_POLL)  # wakes as soon as a task ends
            except queue_mod.Empty:
                continue
            result = pending.pop(i).get()
            _drain(messages, progress, wait=0)
            yield i, result
        _drain(messages, progress, wait=0)
        pool.close()
        pool.join()
    finally:
        # INVARIANT: no worker outlives this generator (normal end, interrupt, error, early break).
        pool.terminate()
        pool.join()
        messages.close()
        messages.join_thread()


def _teller(ended: queue_mod.Queue[int], i: int) -> Callable[[object], None]:
    def tell(_: object) -> None:
        ended.put(i)

    return tell


def _drain(messages: Any, progress: Callable[[tuple[Any, ...]], None] | None, *, wait: float) -> None:
    try:
        msg = messages.get(timeout=wait) if wait else messages.get_nowait()
        while True:
            if progress is not None:
                progress(msg)
            msg = messages.get_nowait()
    except queue_mod.Empty:
        return
