# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 2: + adaptive lam encoding (learnable gamma in [0, 1], initialised to 0).
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=False, global_attention=False, upsample='nearest', lam_adjust=False, variance_loss=False))
