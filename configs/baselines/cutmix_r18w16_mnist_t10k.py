# CutMix (alpha 1) on the real MNIST t10k files.
_base_ = ['./ce_r18w16_mnist_t10k.py']
model = dict(mixer=dict(type='PairedCutMix', alpha=1.0))
