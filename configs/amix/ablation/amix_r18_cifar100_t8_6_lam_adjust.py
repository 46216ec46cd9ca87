# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 6: + lam adjusting of the mask fed to the classifier.
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True, upsample='bilinear', lam_adjust=True, variance_loss=False))
