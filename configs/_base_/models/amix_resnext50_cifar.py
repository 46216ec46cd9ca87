# AMix (Mix Block+) on the CIFAR ResNeXt-50 (32x4d).
_base_ = ['./amix_resnet18_cifar.py']
model = dict(
    backbone=dict(_delete_=True, type='ResNeXt_CIFAR', depth=50, groups=32, width_per_group=4, out_indices=(3, )),
    head=dict(in_channels=2048),
    mixer=dict(mix_block=dict(in_channels=1024)))
