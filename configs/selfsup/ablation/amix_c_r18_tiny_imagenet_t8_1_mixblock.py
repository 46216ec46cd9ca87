# AMix Table 8 (ablation of the Mix Block+ modules on Tiny-ImageNet), CL column, row 1: MixBlock (baseline): AutoMix's
# block inside Mix Block+ (lam channel, linear content, cross attention, mean-only mask loss, nearest).
# Self-supervised AMix-C (MoCo v2, pseudo-label CE + non-parametric BCE): the CL column's last row, 42.53, is AMix-C's
# Tiny-ImageNet result in AMix Table 5. Linear evaluation: configs/selfsup/linear_eval/linear_r18_tiny_imagenet.py.
_base_ = ['../amix_c_r18_tiny_imagenet.py']
model = dict(
    mixer=dict(mix_block=dict(
        lam_encoding='concat', nonlinear_value=False, global_attention=False,
        variance_loss=False, upsample='nearest', lam_adjust=False)))
