# CIFAR-style ResNet-50 at 1/4 width (final 512 channels): a CPU-sized teacher.
_base_ = ['./resnet50_cifar.py']
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    head=dict(in_channels=512),
)
