# Runtime of the learned-mixup algorithms (AutoMix, AMix): the default runtime plus the Momentum Pipeline hook, which
# updates the momentum encoder after every step, and the mask-loss schedule, which decays the Mix Block's mask-loss
# weight (its `mask_loss_weight`, 0.1 by default) to 0.
_base_ = ['./default_runtime.py']
default_hooks = dict(
    momentum_pipeline=dict(type='MomentumPipelineHook', momentum=0.999, end_momentum=1.0),
    mask_loss_schedule=dict(type='MaskLossScheduleHook', end_mask_loss_weight=0.0,
                            mask_loss_schedule='linear'))  # AutoMix Eq. 7; 'cosine' = authors' code
