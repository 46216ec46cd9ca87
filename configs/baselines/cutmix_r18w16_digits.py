# CutMix (alpha 1) baseline on digits.
_base_ = ['./ce_r18w16_digits.py']
model = dict(mixer=dict(type='PairedCutMix', alpha=1.0))
