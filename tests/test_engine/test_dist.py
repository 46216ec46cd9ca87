"""How many processes a launcher starts, and which backend a distributed run uses: NCCL on GPUs (MMEngine's
``init_dist``), gloo without them (``init_cpu_distributed``)."""
import pytest
import torch

from openmixosr.engine import init_cpu_distributed, launcher_world_size


def test_world_size_comes_from_each_launchers_environment():
    assert launcher_world_size('none', {}) == 1
    assert launcher_world_size('pytorch', dict(WORLD_SIZE='8')) == 8  # torchrun, tools/dist_train.sh
    assert launcher_world_size('slurm', dict(SLURM_NTASKS='16')) == 16  # srun, tools/slurm_train.sh
    assert launcher_world_size('mpi', dict(OMPI_COMM_WORLD_SIZE='4')) == 4
    with pytest.raises(RuntimeError, match='needs the environment variable WORLD_SIZE.*torchrun'):
        launcher_world_size('pytorch', {})


def test_gpu_runs_leave_the_process_group_to_mmengine_and_nccl(monkeypatch):
    # With CUDA the tools start nothing themselves: the runner's init_dist starts NCCL (env_cfg.dist_cfg, the default
    # runtime's backend) and sets each process's GPU.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.distributed, 'init_process_group', lambda *args, **kwargs: pytest.fail('started'))
    assert init_cpu_distributed('pytorch') is False
    from mmengine.config import Config

    from tests.helpers.run_tool import REPO_ROOT
    assert Config.fromfile(REPO_ROOT / 'configs/_base_/default_runtime.py').env_cfg.dist_cfg.backend == 'nccl'
