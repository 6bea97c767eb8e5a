"""How the command line stops: Ctrl-C, SIGTERM and SIGHUP alike, and a reader of stdout gone away.

A stop signal is raised as KeyboardInterrupt where the program is, so that every
clean-up runs (no output file is left unless complete), and the run ends with 128 plus
the signal's number.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

from rollmed._files import FAILURE, STOP_SIGNALS, signals_held_off

PROG = "rollmed"


class _Stopped(KeyboardInterrupt):
    """A stop signal, raised where the program is as Ctrl-C is, so that every clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`_Stopped` (once: the clean-up then runs undisturbed).

    A signal ignored when the run starts (SIGHUP under ``nohup``) stays ignored.

    Examples
    --------
    >>> from rollmed._stopping import stop_signals_interrupt
    >>> with stop_signals_interrupt():
    ...     pass  # SIGTERM here would raise KeyboardInterrupt, and the clean-up would run
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        if signals_held_off(signum):  # (raised again where the held block ends)
            return
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise _Stopped(signum)

    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def interrupted(exc: KeyboardInterrupt) -> int:
    r"""Say on stderr what stopped the run; the exit status, 128 plus the signal's number.

    Examples
    --------
    >>> import contextlib
    >>> import io
    >>> from rollmed._stopping import interrupted
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     status = interrupted(KeyboardInterrupt())
    >>> status, err.getvalue()
    (130, 'rollmed: interrupted\n')
    """
    signum = getattr(exc, "signum", signal.SIGINT)
    if signum == signal.SIGINT:
        print(f"{PROG}: interrupted", file=sys.stderr)
    else:
        print(f"{PROG}: stopped by {signal.Signals(signum).name}", file=sys.stderr)
    return 128 + signum


def quiet_stdout() -> int:
    """The reader of stdout went away (``... | head``): stop quietly.

    stdout then points at /dev/null, so that Python's own flush at exit does not complain again.

    Examples
    --------
    >>> from rollmed._stopping import quiet_stdout
    >>> quiet_stdout()  # doctest: +SKIP
    1
    """
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return FAILURE
