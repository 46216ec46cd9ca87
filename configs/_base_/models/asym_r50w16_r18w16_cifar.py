# Asymmetric distillation at quarter width for CPU runs: ResNet-50 (final 512 channels) -> ResNet-18 (final 128).
_base_ = ['./asym_r50_r18_cifar.py']
model = dict(
    student=dict(backbone=dict(stem_channels=16, base_channels=16), head=dict(in_channels=128)),
    teacher=dict(backbone=dict(stem_channels=16, base_channels=16), head=dict(in_channels=512)))
