from openmixosr.utils.checkpoint_io import (CorruptedCheckpointError, OmittedObject, find_resumable_checkpoint,
                                            load_checkpoint_file, load_weights_only)
from .checkpoint_compat import CheckpointMismatchError, KnownClassesMismatchError
from .checkpoint_loading import (LOAD_CFG_DEFAULTS, check_checkpoint_classes, load_checked_checkpoint,
                                 load_checkpoint_for_config, load_settings)
from .dist import init_cpu_distributed, launcher_world_size
from .hooks import *  # noqa: F401,F403
from .loops import LastEpochsValTrainLoop
from .model_wrapper import DeviceAwareDDP
from .optim_wrapper import CPUAutocastOptimWrapper
from .runner import OpenMixOSRRunner, build_runner
from .weight_init import SafePretrainedInit

__all__ = [
    'CPUAutocastOptimWrapper', 'CheckpointMismatchError', 'CorruptedCheckpointError', 'DeviceAwareDDP',
    'KnownClassesMismatchError', 'LOAD_CFG_DEFAULTS', 'LastEpochsValTrainLoop', 'OmittedObject', 'OpenMixOSRRunner',
    'SafePretrainedInit', 'build_runner', 'check_checkpoint_classes', 'find_resumable_checkpoint',
    'init_cpu_distributed', 'launcher_world_size', 'load_checked_checkpoint', 'load_checkpoint_file',
    'load_checkpoint_for_config', 'load_settings', 'load_weights_only'
]
