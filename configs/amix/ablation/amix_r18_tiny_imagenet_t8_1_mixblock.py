# AMix Table 8 (ablation of the Mix Block+ modules on Tiny-ImageNet), SL column, row 1: MixBlock (baseline): AutoMix's
# block inside Mix Block+ (lam channel, linear content, cross attention, mean-only mask loss, nearest).
# Supervised CIFAR ResNet-18, the paper's Tiny-ImageNet recipe; rows add one module at a time in the paper's order.
_base_ = ['../amix_r18_tiny_imagenet.py']
model = dict(
    mixer=dict(mix_block=dict(
        lam_encoding='concat', nonlinear_value=False, global_attention=False,
        variance_loss=False, upsample='nearest', lam_adjust=False)))
