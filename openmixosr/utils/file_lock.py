"""An exclusive lock on a file, so that two commands never train one run (or write one table) at the same time.

``flock`` locks are released by the kernel when their process ends, however it ends (``kill -9`` included), so a
lock never outlives a crashed command. They hold between processes of one machine and, on Linux, over NFS (where
``flock`` is carried out with ``fcntl`` byte-range locks).
"""
import fcntl
import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional


def _holder(file) -> str:
    file.seek(0)
    text = file.read().strip()
    return f'process {text}' if text else 'another process'


@contextmanager
def exclusive_lock(path: str, what: str, notify: Optional[Callable[[str], None]] = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) for the ``with`` block; wait while another process
    holds it, saying so once.

    Args:
        path (str): The lock file (its content: ``pid@host`` of the holder, for the message).
        what (str): What the lock protects, for the message (e.g. ``'the run work_dirs/x/seed0'``).
        notify (Callable[[str], None], optional): Where the waiting message goes. Defaults to stderr.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'a+') as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = (f'{what} is in use by {_holder(file)} (lock {path}); waiting for it to finish. (Two commands '
                       'on one work dir never train the same run twice: this one then takes what the other finished.)')
            (notify or (lambda text: print(text, file=sys.stderr, flush=True)))(message)
            fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        file.truncate()
        file.write(f'{os.getpid()}@{os.uname().nodename}\n')
        file.flush()
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
