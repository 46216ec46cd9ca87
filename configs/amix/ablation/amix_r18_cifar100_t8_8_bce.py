# AMix ablation (AMix Table 8 rows), CIFAR-100 ResNet-18, row 8: + parametric BCE over the two mixed classes as the Mix Block objective (instead of mixup CE).
_base_ = ['../amix_r18_cifar100.py']
model = dict(
    mix_block_loss=dict(_delete_=True, type='PairwiseMixupBCELoss'),
    mix_block=dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True, upsample='bilinear', lam_adjust=True, variance_loss=True))
