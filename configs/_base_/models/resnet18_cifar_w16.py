# CIFAR-style ResNet-18 at 1/4 width (16-32-64-128 channels, ~0.7M parameters) for CPU runs.
_base_ = ['./resnet18_cifar.py']
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    head=dict(in_channels=128),
)
