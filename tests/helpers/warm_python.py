"""A warm Python for the tool tests: ``python tools/X.py ARGS`` without paying the library imports each time.

Starting a tool costs about 5 s of imports (torch, torchvision, MMEngine, mmcv, mmpretrain, scikit-learn) before it
does anything, and the suite starts a few hundred tools and trainings. Each pytest process therefore keeps one
*server*: a Python that has imported those libraries and nothing else (no OpenMixOSR module, no MMEngine manager, no
torch op), and forks a child for every tool run. The child is a fresh process for everything the tool does: its own
MMEngine global state, its own random seeds (reseeded from the OS, as a new interpreter would be), its own working
folder, environment, arguments, ``sys.path[0]`` and standard streams; it imports the OpenMixOSR package and runs the
script as ``__main__``; its exit status is the tool's. Only the import of the third-party libraries is shared.

The *shim* is an executable file that behaves as ``python``: ``SHIM [-u] SCRIPT.py ARGS`` and ``SHIM [-u] -m MODULE
ARGS`` run in a forked child of the server (the shim's standard streams are the child's, the signals it receives are
forwarded, it exits as the child did); anything else (``-c``, other options) and any run it cannot serve exactly (no
server; no ``OMP_NUM_THREADS`` while the server's torch was given one) execs the real interpreter. ``run_tool`` runs
tools through it and passes it as ``PYTHON`` (the launch scripts' and the table tools' trainings) and ``PYTHON_EXEC``
(torchrun's workers), so that the processes the tools start are warm too; the tests of the process itself (console
commands, the wheel, import-time warnings, signals) start real interpreters.

Run as ``python warm_python.py --serve SOCKET``: the server. ``make_shim(...)`` writes the shim.
"""
import json
import os
import signal
import socket
import struct
import sys

#: What the server imports before it forks (the cost every tool start shares); third-party libraries only, so that a
#: tool that forgets an import of its own package still fails as it would for a user.
PRELOAD = ('numpy', 'torch', 'torchvision', 'cv2', 'mmengine.config', 'mmengine.runner', 'mmcv.transforms',
           'mmpretrain.models', 'mmpretrain.datasets', 'mmpretrain.evaluation', 'mmpretrain.structures',
           'sklearn.metrics', 'sklearn.datasets', 'matplotlib.pyplot', 'matplotlib.backends.backend_agg', 'distutils',
           'yapf.yapflib.yapf_api')

_HEADER = struct.Struct('!I')


class _ForkedChild(BaseException):
    """Raised in a forked child to leave the server loop (closing its sockets there) and run the tool on a clean
    stack, at module level, where an uncaught exception or ``SystemExit`` ends the process as in a fresh one."""

    def __init__(self, request):
        super().__init__()
        self.request = request


def _send(sock, message: dict, fds=()) -> None:
    data = json.dumps(message).encode()
    header = _HEADER.pack(len(data))
    if fds:
        socket.send_fds(sock, [header], list(fds))
    else:
        sock.sendall(header)
    sock.sendall(data)


def _receive_exactly(sock, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b''.join(chunks)


def _receive(sock, max_fds: int = 0):
    """One message (and the file descriptors sent with its header)."""
    if max_fds:
        header, fds, _, _ = socket.recv_fds(sock, _HEADER.size, max_fds)
        if not header:
            raise EOFError
        header += _receive_exactly(sock, _HEADER.size - len(header))
    else:
        header, fds = _receive_exactly(sock, _HEADER.size), []
    return json.loads(_receive_exactly(sock, _HEADER.unpack(header)[0])), fds


# ----------------------------------------------------------------------------------------------------------- server

def serve(socket_path: str) -> None:
    """Import :data:`PRELOAD`, listen on ``socket_path``, fork a child per request until stdin closes."""
    import gc
    import importlib
    import selectors
    import warnings
    with warnings.catch_warnings():  # the one known warning of mmcv-lite, filtered as the package filters it
        warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``',
                                category=UserWarning)
        for name in PRELOAD:
            importlib.import_module(name)
    # What exists now lives as long as the server: out of the collector's sight, so that a child's gc.collect()
    # (MMEngine calls it for every dataset it builds) does not walk the libraries' objects each time (about 0.25 s).
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pytest process ends the server (stdin closes), not Ctrl-C
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    running = {}  # child pid -> the connection of its client
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(timeout=0.05):
            if key.fileobj is sys.stdin:  # the pytest process ended
                for pid in running:
                    os.kill(pid, signal.SIGKILL)
                return
            if key.fileobj is listener:
                connection, _ = listener.accept()
                request, fds = _receive(connection, max_fds=3)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    for fd, target in zip(fds, (0, 1, 2)):
                        os.dup2(fd, target)
                    for sock in (*fds, listener, connection, *running.values()):
                        sock.close() if isinstance(sock, socket.socket) else os.close(sock)
                    selector.close()
                    raise _ForkedChild(request)
                for fd in fds:
                    os.close(fd)
                _send(connection, dict(pid=pid))
                running[pid] = connection
                selector.register(connection, selectors.EVENT_READ, data=pid)
            else:  # a client went away (killed) while its child runs: end the child as its parent's death would
                pid = key.data
                if pid in running:
                    os.kill(pid, signal.SIGTERM)
                selector.unregister(key.fileobj)
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            connection = running.pop(pid, None)
            if connection is None:
                continue
            try:
                _send(connection, dict(returncode=os.waitstatus_to_exitcode(status)))
            except OSError:
                pass
            if connection.fileno() >= 0:
                try:
                    selector.unregister(connection)
                except (KeyError, ValueError):
                    pass
                connection.close()


def _set_parent_death_signal(sig: int) -> None:
    # as openmixosr/utils/child_process.py does; not imported from it: the child starts without the package
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
    libc.prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG


def become_tool(request: dict) -> None:
    """In the forked child: take the request's folder, environment, arguments, path and buffering; reseed."""
    _set_parent_death_signal(signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    import random

    import numpy as np
    import torch
    if 'OMP_NUM_THREADS' in os.environ:
        torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    random.seed()
    np.random.seed()
    torch.seed()
    if request['unbuffered']:  # python -u
        sys.stdout.reconfigure(write_through=True)
        sys.stderr.reconfigure(write_through=True)
    if request.get('module'):  # python -m: the working folder first on the path
        sys.argv = [request['module'], *request['args']]
        first = os.getcwd()
    else:
        sys.argv = [request['script'], *request['args']]
        first = os.path.dirname(os.path.abspath(request['script']))
    extra = [path for path in os.environ.get('PYTHONPATH', '').split(os.pathsep) if path and path not in sys.path]
    sys.path[0:1] = [first, *extra]


# ----------------------------------------------------------------------------------------------------------- client

def run_as_python(socket_path: str, real_python: str, server_threads: str) -> None:
    """The shim's body (stdlib only): ``SCRIPT.py ARGS`` through the server, anything else by the real Python."""
    argv = sys.argv[1:]
    unbuffered = argv[:1] == ['-u']  # what torchrun passes
    rest = argv[1:] if unbuffered else argv
    if rest[:1] == ['-m'] and len(rest) >= 2:
        target = dict(module=rest[1], args=rest[2:])
    elif rest and rest[0].endswith('.py') and os.path.isfile(rest[0]):
        target = dict(script=rest[0], args=rest[1:])
    else:
        target = None
    # a thread count given is applied in the child; none given is the server's only when the server had none either
    servable = target is not None and (os.environ.get('OMP_NUM_THREADS', '') != '' or server_threads == '')
    if servable:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(socket_path)
        except OSError:
            servable = False
    if not servable:
        os.execv(real_python, [real_python, *argv])
    streams = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            streams.append(fd)
        except OSError:  # a closed standard stream: the child gets /dev/null, as a fresh interpreter would
            streams.append(os.open(os.devnull, os.O_RDWR))
    _send(sock, dict(target, unbuffered=unbuffered, cwd=os.getcwd(), env=dict(os.environ)), fds=streams)
    pid = _receive(sock)[0]['pid']

    def forward(sig, _frame):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    returncode = _receive(sock)[0]['returncode']
    if returncode < 0:  # killed by a signal: die of it too
        signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
    sys.exit(returncode)


def make_shim(path: str, socket_path: str, server_threads: str) -> str:
    """Write the shim (an executable file started by this interpreter with ``-S``: only the standard library)."""
    helpers = os.path.dirname(os.path.abspath(__file__))
    with open(path, 'w') as file:
        file.write(f'#!{sys.executable} -S\n'
                   'import sys\n'
                   f'sys.path.insert(0, {helpers!r})\n'
                   'import warm_python\n'
                   f'warm_python.run_as_python({socket_path!r}, {sys.executable!r}, {server_threads!r})\n')
    os.chmod(path, 0o755)
    return path


def run_and_exit(request: dict) -> None:
    """Run the request's script or module as ``__main__`` and end the process as the interpreter would (exit status,
    uncaught exception, ``SystemExit`` message, ``KeyboardInterrupt``; the non-daemon threads joined, the ``atexit``
    functions run and the standard streams flushed), without the module teardown of an interpreter exit (about 1.5 s
    with torch loaded)."""
    import atexit
    import runpy
    import threading
    import traceback
    interrupted = False
    try:
        if request.get('module'):
            runpy.run_module(request['module'], run_name='__main__', alter_sys=True)
        else:
            runpy.run_path(request['script'], run_name='__main__')
        code = 0
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    except BaseException as error:  # the traceback from the script's frames on, as the interpreter prints it
        frames = error.__traceback__
        while frames is not None and frames.tb_frame.f_code.co_filename in (__file__, runpy.__file__, '<frozen runpy>'):
            frames = frames.tb_next
        traceback.print_exception(type(error), error, frames)
        code, interrupted = 1, isinstance(error, KeyboardInterrupt)
    threading._shutdown()  # what the interpreter does first at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if interrupted:  # as an interpreter ends on an uncaught KeyboardInterrupt: killed by SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code & 0xFF)


if __name__ == '__main__':
    if sys.argv[1:2] != ['--serve'] or len(sys.argv) != 3:
        sys.exit('usage: python warm_python.py --serve SOCKET')
    try:
        serve(sys.argv[2])
        sys.exit(0)
    except _ForkedChild as child:
        _request = child.request
    become_tool(_request)
    run_and_exit(_request)
