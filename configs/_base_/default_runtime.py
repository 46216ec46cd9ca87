# Runtime shared by every OpenMixOSR config.
default_scope = 'openmixosr'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)
# SafeCheckpointHook keeps checkpoints loadable with torch.load(weights_only=True);
# RandomStateHook makes a resumed run repeat the uninterrupted one.
custom_hooks = [dict(type='SafeCheckpointHook'), dict(type='RandomStateHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # CPU-only runs switch to gloo (see tools/train.py)
)
# DeviceAwareDDP = MMDistributedDataParallel that also wraps CPU models. The scope prefix is needed because
# MMEngine looks the wrapper class up with `MODEL_WRAPPERS.get`, which does not follow the default scope.
model_wrapper_cfg = dict(type='openmixosr.DeviceAwareDDP', broadcast_buffers=False, find_unused_parameters=False)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
