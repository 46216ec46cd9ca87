# CutMix (alpha 1) baseline, the mixed-sample-augmentation (MSA) row: the classifier trains on PairedCutMix's mixes
# (mmpretrain's CutMix draws) with the mixed soft label.
_base_ = ['./ce_r18_mnist.py']
model = dict(mixer=dict(type='PairedCutMix', alpha=1.0))
