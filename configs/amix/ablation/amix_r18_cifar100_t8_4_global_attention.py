# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 4: + global attention over the concatenated pair.
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True, upsample='nearest', lam_adjust=False, variance_loss=False))
