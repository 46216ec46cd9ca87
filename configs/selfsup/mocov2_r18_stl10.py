# MoCo v2 pre-training on STL-10 (unlabeled + train, 96x96; ImageNet-style ResNet-18 stem): the baseline of AMix-I /
# AMix-C.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/stl10_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_runtime.py',
]
model = dict(backbone=dict(type='ResNet'))
