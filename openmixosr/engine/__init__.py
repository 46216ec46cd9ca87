from .checkpoint import (CorruptedCheckpointError, find_resumable_checkpoint, load_weights_only,
                         register_weights_only_loader)
from .checkpoint_compat import CheckpointMismatchError, KnownClassesMismatchError
from .dist import init_cpu_distributed
from .hooks import *  # noqa: F401,F403
from .model_wrapper import DeviceAwareDDP
from .optim_wrapper import CPUAutocastOptimWrapper
from .runner import OpenMixOSRRunner, build_runner

register_weights_only_loader()

__all__ = [
    'CPUAutocastOptimWrapper', 'CheckpointMismatchError', 'CorruptedCheckpointError', 'DeviceAwareDDP',
    'KnownClassesMismatchError', 'OpenMixOSRRunner', 'build_runner', 'find_resumable_checkpoint',
    'init_cpu_distributed', 'load_weights_only', 'register_weights_only_loader'
]
