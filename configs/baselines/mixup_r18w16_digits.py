# MixUp (alpha 1) baseline on digits.
_base_ = ['./ce_r18w16_digits.py']
model = dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
