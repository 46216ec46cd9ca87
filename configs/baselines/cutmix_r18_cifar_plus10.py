# CutMix (alpha 1) through mmpretrain's batch augmentations: the mixed-sample-augmentation (MSA) baseline.
_base_ = ['./ce_r18_cifar_plus10.py']
model = dict(train_cfg=dict(augments=dict(type='CutMix', alpha=1.0)))
