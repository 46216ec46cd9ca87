# AMix-C on the quarter-width CIFAR ResNet-18 (16-32-64-128 channels) for CPU runs; a 512-entry queue.
_base_ = ['./amix_c_mocov2_resnet18_cifar.py']
model = dict(
    queue_len=512,
    backbone=dict(stem_channels=16, base_channels=16),
    neck=dict(in_channels=128, hid_channels=128),
    mixer=dict(mix_block=dict(in_channels=64)))
