# MixUp (alpha 1) baseline, the mixed-sample-augmentation (MSA) row: the classifier trains on PairedMixUp's mixes
# (mmpretrain's Mixup draws) with the mixed soft label.
_base_ = ['./ce_r18_svhn.py']
model = dict(mixer=dict(type='PairedMixUp', alpha=1.0))
