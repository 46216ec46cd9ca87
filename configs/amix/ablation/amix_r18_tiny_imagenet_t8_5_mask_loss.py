# AMix Table 8 (ablation of the Mix Block+ modules on Tiny-ImageNet), SL column, row 5: +L_mask: the variance term of
# the mask loss.
# Supervised CIFAR ResNet-18, the paper's Tiny-ImageNet recipe; rows add one module at a time in the paper's order.
_base_ = ['../amix_r18_tiny_imagenet.py']
model = dict(
    mixer=dict(mix_block=dict(
        lam_encoding='adaptive', nonlinear_value=True, global_attention=True,
        variance_loss=True, upsample='nearest', lam_adjust=False)))
