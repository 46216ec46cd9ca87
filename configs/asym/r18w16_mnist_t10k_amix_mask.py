# Ours, not a paper row: asymmetric distillation on the MNIST t10k files with learned masks instead of CutMix: AMix's
# Mix Block+ trained through the frozen teacher (parametric BCE of T(x_m) + mask loss); the student learns from the same
# draw, detached (docs/asymmetric_distillation.md, "Learned masks").
_base_ = ['./r18w16_mnist_t10k.py', '../_base_/mixers/learned_masks.py']
model = dict(mixer={{_base_.amix_mask_mixer_r50w16}})
default_hooks = dict(mask_loss_schedule={{_base_.mask_loss_schedule_hook}})
