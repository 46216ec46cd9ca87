# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 5: + bilinear upsampling of the mask.
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True, upsample='bilinear', lam_adjust=False, variance_loss=False))
