from .channels_last_hook import ChannelsLastHook
from .cluster_assignment_hook import ClusterAssignmentHook
from .momentum_pipeline_hook import MomentumPipelineHook
from .random_state_hook import RandomStateHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['ChannelsLastHook', 'ClusterAssignmentHook', 'MomentumPipelineHook', 'RandomStateHook', 'SafeCheckpointHook']
