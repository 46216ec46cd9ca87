# AutoMix on the quarter-width CIFAR ResNet-18 (stage 3: 64 channels, final 128) for CPU runs.
_base_ = ['./automix_resnet18_cifar.py']
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    head=dict(in_channels=128),
    mixer=dict(mix_block=dict(in_channels=64)))
