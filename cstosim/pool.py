"""The one worker pool, behind ``sweep`` and ``check``: it stops at once.

A plain :class:`~concurrent.futures.ProcessPoolExecutor` left by an exception
(Ctrl-C, SIGTERM) waits in ``shutdown`` for every queued task to finish, and its
workers, which share the terminal's process group, print their own
``KeyboardInterrupt`` tracebacks. :func:`process_pool` is the pool to use instead:

- its workers ignore SIGINT and take the default action on SIGTERM, so only the
  parent decides what an interrupt means; the two signals are blocked in the parent
  while workers are forked, so no worker runs the parent's Python handlers;
- leaving the ``with`` block by an exception (``KeyboardInterrupt``, the CLI's
  ``Terminated``, any error) cancels what is queued and kills every worker before the
  exception goes on, so nothing keeps running and nothing waits;
- a worker that dies (killed, out of memory) surfaces as :class:`WorkerDied`.

``sweep`` submits its chunks to the pool and reads the results in order; ``check``
uses :func:`run`, a generator over the same pool that reads its work lazily as
workers free up, yields each result as its task ends and carries progress messages
that workers send with :func:`report`. :func:`stop_executor` stops any other
:class:`~concurrent.futures.Executor` (a Dask cluster's: pending tasks are
cancelled; the cluster's workers are not ours to kill). Library code: nothing here
prints or exits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# fork where there is one: workers inherit the parent's loaded rules instead of unpickling them
_CONTEXT = multiprocessing.get_context(
    "fork" if "fork" in multiprocessing.get_all_start_methods() else None)


class WorkerDied(Exception):
    """A worker process ended without finishing its task (killed, or out of memory);
    ``signum`` is the signal that ended it, when one did (SIGTERM: the whole process group
    was terminated, which the caller should treat as its own termination)."""

    def __init__(self, message: str, signum: int | None = None) -> None:
        super().__init__(message)
        self.signum = signum


def _worker_start(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    # INVARIANT: a worker never handles SIGINT itself (the parent stops it) and dies
    # quietly on SIGTERM; the parent blocked both while forking, so unblock last.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    if initializer is not None:
        initializer(*initargs)


def _started() -> None:
    """A no-op task: submitting it makes the pool start its workers."""


@contextmanager
def process_pool(workers: int, initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = ()) -> Iterator[ProcessPoolExecutor]:
    """A process pool of ``workers`` workers, stopped at once when the block raises."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_CONTEXT,
                               initializer=_worker_start, initargs=(initializer, initargs))
    try:
        # Start the workers now, with the stop signals blocked so that a signal arriving
        # while forking waits for the parent (it is delivered when the mask is restored).
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pool.submit(_started)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        yield pool
    except BrokenProcessPool as exc:
        ended = [p.exitcode for p in list((pool._processes or {}).values())]  # see worker_pids
        signum = next((-c for c in ended if c is not None and c < 0), None)
        kill_workers(pool)
        raise WorkerDied(str(exc), signum) from None
    except BaseException:
        kill_workers(pool)
        raise
    pool.shutdown(wait=True)


def worker_pids(pool: ProcessPoolExecutor) -> list[int]:
    """The process ids of the pool's live workers (empty once it is shut down)."""
    # _processes is the executor's own table of its workers; typeshed declares it, and the
    # standard library offers no public way to reach them.
    return [p.pid for p in list((pool._processes or {}).values()) if p.pid is not None]


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel every queued task and kill every worker now, without waiting for any task."""
    procs = list((pool._processes or {}).values())  # see worker_pids
    # the executor's own thread, which notices the dead workers and closes its pipes; it is
    # joined below so that the interpreter's exit hook does not write to a pipe it is
    # closing (CPython prints an EBADF traceback from that race). typeshed mistypes it.
    manager: Any = getattr(pool, "_executor_manager_thread", None)
    for proc in procs:
        with suppress(OSError, ValueError, AttributeError):  # already gone
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(manager, threading.Thread):
        manager.join(timeout=2.0)
    for proc in procs:
        with suppress(OSError, ValueError, AssertionError, AttributeError):
            proc.join(timeout=1.0)


def stop_executor(executor: Executor) -> None:
    """Stop any executor without waiting: kill a process pool's workers, cancel the rest."""
    if isinstance(executor, ProcessPoolExecutor):
        kill_workers(executor)
        return
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # Dask's executor cancels its pending tasks on shutdown(wait=False)
        executor.shutdown(wait=False)


T = TypeVar("T")
R = TypeVar("R")

_progress: Any = None  # the worker's end of the progress queue, set by _start_reporting
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


def _start_reporting(progress: Any, init: Callable[..., object] | None, args: tuple[Any, ...]) -> None:
    global _progress
    _progress = progress
    if init is not None:
        init(*args)


def run(fn: Callable[[T], R], items: Iterable[T], *, jobs: int,
        init: Callable[..., object] | None = None, init_args: tuple[Any, ...] = (),
        progress: Callable[[tuple[Any, ...]], None] | None = None) -> Iterator[tuple[int, R]]:
    """Apply ``fn`` to every item in ``jobs`` workers of a :func:`process_pool`; yield
    (index, result) as each task ends.

    ``items`` is read lazily, one item whenever a worker is free, so a caller can stop
    producing work (or skip some) in the light of the results it has had. ``fn`` and
    ``init`` must be module-level functions (they are pickled by name). ``init`` runs once
    in each worker with ``init_args``: load there what every task shares. An exception
    raised by ``fn`` is raised here, in the parent, after every worker is killed; a worker
    that dies is :class:`WorkerDied`.
    """
    source = iter(items)
    width = max(1, jobs)
    messages = _CONTEXT.SimpleQueue()  # workers' progress; read only here, between results
    try:
        with process_pool(width, _start_reporting, (messages, init, init_args)) as pool:
            # INVARIANT: no worker outlives this generator (normal end, interrupt, error,
            # early break): process_pool kills them on any exception, GeneratorExit included.
            pending: dict[Future[R], int] = {}
            count = 0
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < width:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[pool.submit(fn, item)] = count
                    count += 1
                if not pending:
                    break
                _drain(messages, progress)
                ended, _ = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
                for fut in sorted(ended, key=pending.__getitem__):  # a stable order for ties
                    i = pending.pop(fut)
                    result = fut.result()
                    _drain(messages, progress)
                    yield i, result
            _drain(messages, progress)
    finally:
        messages.close()


def _drain(messages: Any, progress: Callable[[tuple[Any, ...]], None] | None) -> None:
    while not messages.empty():
        msg = messages.get()
        if progress is not None:
            progress(msg)
