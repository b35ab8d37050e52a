"""Worker pools that stop at once: the process pool behind ``sweep`` (and ``check``).

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

:func:`stop_executor` does the same for any other :class:`~concurrent.futures.Executor`
(a Dask cluster's: pending tasks are cancelled; the cluster's workers are not ours to
kill). Library code: nothing here prints or exits.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import Any

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class WorkerDied(Exception):
    """A worker process ended without finishing its task (killed, or out of memory)."""


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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(),
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
        kill_workers(pool)
        raise WorkerDied(str(exc)) from None
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
