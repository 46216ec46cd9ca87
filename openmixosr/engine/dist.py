"""Distributed runs: the number of processes a launcher starts, and the process group of a CPU-only run."""
import os
from typing import Mapping, Optional

import torch
import torch.distributed as torch_dist


def init_cpu_distributed(launcher: str) -> bool:
    """Initialise a gloo process group when a launcher is used on a machine without CUDA.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally, which fails without a GPU. The tools call
    this function before building the runner; the runner then finds the group initialised and skips its own setup.

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: Whether this function started the process group.
    """
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(f'CPU-only distributed training supports the pytorch launcher (torchrun, '
                           f'tools/dist_train.sh), not {launcher!r}.')
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if name not in os.environ:
            raise RuntimeError(f'--launcher pytorch needs the environment variable {name}; start the tool with '
                               f'torchrun (tools/dist_train.sh CONFIG NUM_PROCESSES).')
    torch_dist.init_process_group(backend='gloo')
    return True


#: The environment variable in which each launcher gives the number of processes (what MMEngine's ``init_dist`` reads).
WORLD_SIZE_VARIABLES = dict(pytorch='WORLD_SIZE', slurm='SLURM_NTASKS', mpi='OMPI_COMM_WORLD_SIZE')


def launcher_world_size(launcher: str, environ: Optional[Mapping[str, str]] = None) -> int:
    """The number of processes of a run, read from the launcher's environment before any process group exists.

    Args:
        launcher (str): ``'none'`` (1 process), ``'pytorch'`` (torchrun: ``WORLD_SIZE``), ``'slurm'`` (``srun``:
            ``SLURM_NTASKS``) or ``'mpi'`` (``OMPI_COMM_WORLD_SIZE``).
        environ (Mapping, optional): The environment; ``os.environ`` when None.

    Returns:
        int: The number of processes.

    Raises:
        RuntimeError: The launcher's variable is not set (the tool was not started by that launcher).
    """
    if launcher == 'none':
        return 1
    environ = os.environ if environ is None else environ
    name = WORLD_SIZE_VARIABLES[launcher]
    if name not in environ:
        starter = 'torchrun (tools/dist_train.sh)' if launcher == 'pytorch' else launcher
        raise RuntimeError(f'--launcher {launcher} needs the environment variable {name} (the number of processes); '
                           f'start the tool with {starter}.')
    return int(environ[name])
