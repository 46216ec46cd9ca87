"""Start the process group of a CPU-only distributed run."""
import os

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
