"""A pool of worker processes that return results in the order given, for runs of thousands of codes.

Each worker is told its job once, when it starts (the template, the font, what to check), and
ends itself if the main process is killed outright. With one worker everything runs in this
process. Results come back in order, with a few tasks ahead in flight, so the main process
holds only what is finished.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..errors import RenderError
from .fonts import load_font
from .layout import Template
from .model import Options

ORPHAN_POLL_S = 0.5


def workers_available() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Job:
    template: Template
    font: Path | None
    extension: str
    check: bool


job: Job | None = None  # the job of this process, set once when it starts
_STOPS = {signal.SIGINT, signal.SIGTERM}


def begin(task: Job, parent: int | None) -> None:
    """Set this process's job; in a worker of the main process *parent*, also watch that it lives."""
    global job
    job = task
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    """Exit once the main process is gone (killed outright, it cannot stop its workers)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_S)
    os._exit(1)


class Pool:
    """Worker processes (or this process, for one worker) returning results in the order given."""

    def __init__(self, job: Job, workers: int):
        self.job, self.workers = job, workers
        self.executor = None
        if workers > 1:
            # fork shares the loaded font and modules; the caller starts no threads before this.
            # Ctrl-C or kill while forking would be lost in the fork handlers, so they wait.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
            try:
                self.executor = ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context(method),
                    initializer=begin,
                    initargs=(job, os.getpid()),
                )
                self.executor.submit(int)  # starts every worker now
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
        else:
            begin(job, None)

    def ordered(self, function: Callable, tasks: Iterable[tuple]) -> Iterator:
        """``function(*task)`` for each task, in order, with a few tasks ahead in flight."""
        if self.executor is None:
            for task in tasks:
                yield function(*task)
            return
        tasks = iter(tasks)
        pending = deque(self.executor.submit(function, *task) for task in itertools.islice(tasks, 2 * self.workers))
        while pending:
            try:
                result = pending.popleft().result()
            except BrokenProcessPool:
                raise RenderError(
                    "a worker process stopped unexpectedly (out of memory?); nothing was written"
                ) from None
            pending.extend(self.executor.submit(function, *task) for task in itertools.islice(tasks, 1))
            yield result

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def batches(items: Iterable, size: int) -> Iterator[list]:
    """Lists of *size* items (the last may be shorter), taken from *items* only as needed."""
    items = iter(items)
    while batch := list(itertools.islice(items, size)):
        yield batch


def current_job() -> Job:
    """This process's job, set by :func:`begin` before any task runs in it."""
    if job is None:
        raise RenderError("no render job in this process; tasks run through a Pool")
    return job


def options() -> Options:
    """The drawing options of this process's job (its font loaded once, then cached)."""
    task = current_job()
    return Options(font=load_font(task.font) if task.template.format == "pdf" else None)
