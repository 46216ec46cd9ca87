# Ours, not a paper row: asymmetric distillation on the Tiny-ImageNet split 0 with learned masks instead of CutMix:
# AutoMix's Mix Block trained through the frozen teacher (mixup CE of T(x_m) + mask loss); the student learns from the
# same draw, detached (docs/asymmetric_distillation.md, "Learned masks").
_base_ = ['./r18_tiny.py', '../_base_/mixers/learned_masks.py']
model = dict(mixer={{_base_.automix_mask_mixer_r50}})
default_hooks = dict(mask_loss_schedule={{_base_.mask_loss_schedule_hook}})
