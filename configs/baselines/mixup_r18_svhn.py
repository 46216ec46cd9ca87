# MixUp (alpha 1) through mmpretrain's batch augmentations: the mixed-sample-augmentation (MSA) baseline.
_base_ = ['./ce_r18_svhn.py']
model = dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
