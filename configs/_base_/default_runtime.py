# Runtime shared by every OpenMixOSR config.
default_scope = 'openmixosr'

# Every hook lives in `default_hooks`, which MMEngine merges by key: a config changes or adds one hook by its key
# (`default_hooks = dict(momentum_pipeline=dict(momentum=0.99))`) and cannot drop the others by accident, as a
# replaced `custom_hooks` list would. The method runtimes add the hooks their models require under fixed keys
# (`momentum_pipeline`, `cluster_assignment`); tools/train.py adds `channels_last`. `custom_hooks` stays empty for a
# user's own extra hooks.
# AtomicCheckpointHook = MMEngine's CheckpointHook with checked options, atomic files, checkpoints loadable with
# torch.load(weights_only=True) and never non-finite; NonFiniteLossHook stops at the first NaN/Inf loss;
# BroadcastBuffersHook makes distributed validation use the BatchNorm statistics that checkpoints save;
# RandomStateHook makes a resumed run repeat the uninterrupted one.
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    loss_check=dict(type='NonFiniteLossHook'),
    sync_buffers=dict(type='BroadcastBuffersHook'),
    random_state=dict(type='RandomStateHook'),
)
custom_hooks = []

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
# How checkpoints are loaded (load_from, --resume, tools/test.py): strictly; `prefix='student.'` loads only the
# entries under that prefix; checkpoints trained on other known classes are refused at test and resume time unless
# `allow_other_classes=True` (tools: --no-strict, --allow-other-classes). See OpenMixOSRRunner.
load_cfg = dict(strict=True, prefix=None, allow_other_classes=False)
randomness = dict(seed=0, deterministic=False)
