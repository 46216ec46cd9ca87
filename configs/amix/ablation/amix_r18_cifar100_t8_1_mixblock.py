# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 1: AutoMix's Mix Block inside Mix Block+ (lam channel, linear value, cross attention, nearest, no adjusting, no variance term).
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block=dict(lam_encoding='concat', nonlinear_value=False, global_attention=False, upsample='nearest', lam_adjust=False, variance_loss=False))
