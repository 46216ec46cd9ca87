# Runtime of self-supervised AMix: the self-supervised runtime plus the Momentum Pipeline hook and the mask-loss
# schedule. The momentum stays at MoCo v2's constant 0.999 (so that the baseline and AMix share it); the Mix Block's
# mask-loss weight decays to 0.
_base_ = ['./selfsup_runtime.py']
default_hooks = dict(
    momentum_pipeline=dict(type='MomentumPipelineHook', momentum=0.999, end_momentum=0.999),
    mask_loss_schedule=dict(type='MaskLossScheduleHook', end_mask_loss_weight=0.0,
                            mask_loss_schedule='linear'))  # AutoMix Eq. 7; 'cosine' = authors' code
