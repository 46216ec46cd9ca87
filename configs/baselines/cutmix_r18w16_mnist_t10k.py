# CutMix (alpha 1) on the real MNIST t10k files.
_base_ = ['./ce_r18w16_mnist_t10k.py']
model = dict(train_cfg=dict(augments=dict(type='CutMix', alpha=1.0)))
