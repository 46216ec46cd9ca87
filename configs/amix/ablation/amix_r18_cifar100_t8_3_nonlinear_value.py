# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 3: + non-linear content (1x1 conv - BN - ReLU - Dropout - 1x1 conv).
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=False, upsample='nearest', lam_adjust=False, variance_loss=False))
