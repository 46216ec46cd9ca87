# Runtime of AMix-C: the self-supervised AMix runtime plus ClusterAssignmentHook (k-means pseudo labels, every epoch).
_base_ = ['./selfsup_mix_runtime.py']
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='MomentumPipelineHook', momentum=0.999, end_momentum=0.999, mask_loss_weight=0.1, end_mask_loss_weight=0.0,
         mask_loss_schedule='linear'),  # AutoMix Eq. 7; 'cosine' = authors' code
    dict(type='ClusterAssignmentHook', interval=1),
]
