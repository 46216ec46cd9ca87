# Learned-mask mixers for the asymmetric distiller (AsymmetricDistiller `mixer`): a Mix Block trained through the frozen
# teacher on the teacher's stage-3 features (docs/asymmetric_distillation.md, "Learned masks"). Use as
# `model = dict(mixer={{_base_.automix_mask_mixer_r50w16}})` and
# `default_hooks = dict(mask_loss_schedule={{_base_.mask_loss_schedule_hook}})`; `_delete_` replaces the CutMix mixer.
# in_channels: stage 3 of the teacher ResNet-50 (1024; 256 at quarter width).
_automix_mix_block = dict(type='MixBlock', reduction=2, upsample='nearest', lam_margin=0.1)  # AutoMix (Sec. 4.1)
_amix_mix_block = dict(  # AMix's supervised Mix Block+ (configs/_base_/models/amix_resnet18_cifar.py)
    type='MixBlockPlus', reduction=2, upsample='bilinear', lam_margin=0.1, lam_encoding='adaptive',
    nonlinear_value=True, global_attention=True, lam_adjust=False, variance_loss=True)
automix_mask_mixer_r50w16 = dict(
    _delete_=True, type='LearnedMaskMixer', alpha=2.0, mix_layer='layer3',
    mix_block=dict(_automix_mix_block, in_channels=256), objective=dict(type='MixupCrossEntropyLoss'))
automix_mask_mixer_r50 = dict(automix_mask_mixer_r50w16, mix_block=dict(_automix_mix_block, in_channels=1024))
amix_mask_mixer_r50w16 = dict(
    _delete_=True, type='LearnedMaskMixer', alpha=2.0, mix_layer='layer3',
    mix_block=dict(_amix_mix_block, in_channels=256), objective=dict(type='PairwiseMixupBCELoss'))
amix_mask_mixer_r50 = dict(amix_mask_mixer_r50w16, mix_block=dict(_amix_mix_block, in_channels=1024))
# The mask-loss weight decays from the Mix Block's own 0.1 to 0, linearly (AutoMix Eq. 7).
mask_loss_schedule_hook = dict(type='MaskLossScheduleHook', end_mask_loss_weight=0.0, mask_loss_schedule='linear')
