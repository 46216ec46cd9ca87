"""How the tools end on a user's mistake: a clear message on stderr and a non-zero exit, not a traceback.

Every tool's ``__main__`` runs through :func:`run_tool`. An error of the kinds the tools raise for a mistake in what
they were given (:data:`USER_ERRORS`: a bad option or config value, a missing file, a checkpoint that does not fit, a
finished run of other settings, a diverged training) prints ``<tool>: error: <message>`` and exits with status 1; any
other exception is a bug and keeps its traceback. ``--debug`` (anywhere on the command line) or
``OPENMIXOSR_DEBUG=1`` shows the traceback of a mistake too.
"""
import os
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

from openmixosr.datasets.loading import UnreadableImageError
from openmixosr.engine.checkpoint_compat import CheckpointMismatchError, KnownClassesMismatchError
from openmixosr.utils.checkpoint_io import CorruptedCheckpointError
from openmixosr.utils.run_record import RunRecordError

#: Exceptions that report a mistake in a tool's input, not a bug of the tool.
USER_ERRORS = (ValueError, KeyError, FileNotFoundError, NotADirectoryError, PermissionError, ImportError,
               FloatingPointError, CheckpointMismatchError, KnownClassesMismatchError, CorruptedCheckpointError,
               RunRecordError, UnreadableImageError)
DEBUG_FLAG = '--debug'


def error_message(error: BaseException) -> str:
    """The text of an error as a person reads it (a ``KeyError``'s message without the quotes ``str`` adds)."""
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error) or type(error).__name__


def run_tool(main: Callable[[], Optional[object]], argv: Optional[Sequence[str]] = None) -> None:
    """Run a tool's ``main()``; a :data:`USER_ERRORS` exception becomes one message on stderr and exit status 1.

    Args:
        main (Callable): The tool's ``main``, called without arguments (it reads ``sys.argv``).
        argv (Sequence[str], optional): The command line to look for ``--debug`` in (removed from ``sys.argv``
            before ``main`` parses it). Defaults to ``sys.argv``.
    """
    argv = sys.argv if argv is None else argv
    debug = DEBUG_FLAG in argv or os.environ.get('OPENMIXOSR_DEBUG', '') not in ('', '0')
    while DEBUG_FLAG in sys.argv:
        sys.argv.remove(DEBUG_FLAG)
    tool = osp.basename(sys.argv[0]) if sys.argv else 'openmixosr'
    try:
        main()
    except KeyboardInterrupt:
        sys.stderr.write(f'{tool}: interrupted\n')
        sys.exit(130)
    except USER_ERRORS as error:
        if debug:
            raise
        sys.stderr.write(f'{tool}: error: {type(error).__name__}: {error_message(error)}\n'
                         f'(run again with {DEBUG_FLAG} to see the traceback)\n')
        sys.exit(1)
