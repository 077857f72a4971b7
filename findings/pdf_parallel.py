"""The parts of a long PDF laid out on two cores (findings.renderers._render_framed).

WeasyPrint lays out a document in one thread, in Python; a report laid out in parts can give half of
them to a second process. That process is a fork of this one (it has the planned pages, the
templates and WeasyPrint already loaded, so it starts in milliseconds and shares their memory); it
writes each finished part to a temporary file and exits, and this process lays out the other half
meanwhile. The results come back in the order of the jobs, whichever process ran them.

Forking is only done where it is safe: on a POSIX system, from a process with no other thread (a
thread holding a lock at the fork would leave it locked in the child forever). That holds for the
job worker (`manage.py db_worker`) and for `manage.py status_report`; a threaded server, the
autoreloader and the test runner's worker threads get the serial path, as do settings with
PDF_PROCESSES = 1. If the child fails in any way (killed, out of memory, an exception), what it
did not hand back is laid out here: the document is the same, only slower.
"""

import logging
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

PROCESSES = 2  # this process and one fork: the machine the city runs it on has two cores


def processes() -> int:
    return max(1, int(getattr(settings, "PDF_PROCESSES", PROCESSES)))


def can_fork() -> bool:
    """Whether a second process would shorten the wait: allowed, safe, and a core to run it on."""
    return processes() > 1 and fork_is_safe() and core_free()


def core_free() -> bool:
    """A core is idle (the 1-minute load average leaves one). On a busy machine a second process only
    competes with the first: the parts cost about a third more CPU than one document (each has its
    own set-up, font subset and the join), so it would make the wait longer, not shorter."""
    try:
        return os.getloadavg()[0] <= (os.cpu_count() or 1) - 1
    except OSError:
        return False


def fork_is_safe() -> bool:
    """A fork now would copy no other thread's locks: POSIX, and this process runs a single thread
    (Python's threads and, on Linux, native ones started by libraries)."""
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: the native threads cannot be counted, so do not fork
        return False


def run(jobs: list[Callable[[], object]]) -> tuple[list, bool]:
    """Each job's result, in the order of `jobs`, and whether a second process ran some of them.
    The jobs must not use the database (the child shares this process's connections) and must
    return something picklable."""
    if len(jobs) < 2 or not can_fork():
        return [job() for job in jobs], False
    theirs = list(range(0, len(jobs), 2))  # the child takes every other job, this process the rest
    mine = [i for i in range(len(jobs)) if i not in set(theirs)]
    with tempfile.TemporaryFile(prefix="auditreg-pdf-") as out:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child([(i, jobs[i]) for i in theirs], out)
        results: dict[int, object] = {}
        try:
            for i in mine:
                results[i] = jobs[i]()
        except BaseException:
            os.kill(pid, signal.SIGKILL)  # its work is of no use now
            os.waitpid(pid, 0)
            raise
        _, status = os.waitpid(pid, 0)
        handed = _read(out)
        if os.waitstatus_to_exitcode(status) != 0 or len(handed) != len(theirs):
            logger.warning(
                "PDF: the second process ended with status %s after %d of its %d parts; the rest are laid out here",
                os.waitstatus_to_exitcode(status),
                len(handed),
                len(theirs),
            )
        results.update(handed)
    for i in theirs:
        if i not in results:
            results[i] = jobs[i]()
    return [results[i] for i in range(len(jobs))], True


def _child(jobs: list[tuple[int, Callable]], out) -> None:
    code = 1
    try:
        # A stop of the worker (SIGTERM, SIGINT) ends this process at once; the parent then
        # finishes the parts itself or is stopped too. The database connections are the
        # parent's: forgotten here, never closed (closing would end the parent's session).
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for conn in connections.all(initialized_only=True):
            conn.connection = None
        for i, job in jobs:
            result = job()
            pickle.dump((i, result), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        code = 0
    except BaseException:  # noqa: BLE001 - reported by the parent, which lays the parts out again
        logger.exception("PDF: the second process failed")
    finally:
        os._exit(code)  # no atexit handlers, no Django teardown: they belong to the parent


def _read(out) -> dict[int, object]:
    out.seek(0)
    handed: dict[int, object] = {}
    while True:
        try:
            i, result = pickle.load(out)
        except EOFError:
            return handed
        except Exception:  # noqa: BLE001 - a half-written last result (the child was killed)
            return handed
        handed[i] = result
