# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 7: + variance term of the mask loss: the full Mix Block+ (= amix_r18_cifar100.py).
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True, upsample='bilinear', lam_adjust=True, variance_loss=True))
