from openmixosr.utils.checkpoint_io import (CorruptedCheckpointError, OmittedObject, find_resumable_checkpoint, load_checkpoint_file,
                         load_checkpoint_to_model, load_weights_only)
from .checkpoint_compat import CheckpointMismatchError, KnownClassesMismatchError
from .dist import init_cpu_distributed, launcher_world_size
from .hooks import *  # noqa: F401,F403
from .model_wrapper import DeviceAwareDDP
from .optim_wrapper import CPUAutocastOptimWrapper
from .runner import OpenMixOSRRunner, build_runner
from .weight_init import SafePretrainedInit

__all__ = [
    'CPUAutocastOptimWrapper', 'CheckpointMismatchError', 'CorruptedCheckpointError', 'DeviceAwareDDP',
    'KnownClassesMismatchError', 'OmittedObject', 'OpenMixOSRRunner', 'SafePretrainedInit', 'build_runner',
    'find_resumable_checkpoint', 'init_cpu_distributed', 'launcher_world_size', 'load_checkpoint_file',
    'load_checkpoint_to_model',
    'load_weights_only'
]
