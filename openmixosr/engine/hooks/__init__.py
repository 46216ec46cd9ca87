from .atomic_checkpoint_hook import AtomicCheckpointHook
from .broadcast_buffers_hook import BroadcastBuffersHook
from .channels_last_hook import ChannelsLastHook
from .cluster_assignment_hook import ClusterAssignmentHook
from .mask_loss_schedule_hook import MaskLossScheduleHook
from .momentum_pipeline_hook import MomentumPipelineHook
from .non_finite_loss_hook import NonFiniteLossHook
from .random_state_hook import RandomStateHook
from .run_record_hook import RunRecordHook
from .runner_model import runner_model

__all__ = [
    'AtomicCheckpointHook', 'BroadcastBuffersHook', 'ChannelsLastHook', 'ClusterAssignmentHook', 'MaskLossScheduleHook',
    'MomentumPipelineHook', 'NonFiniteLossHook', 'RandomStateHook', 'RunRecordHook', 'runner_model'
]
