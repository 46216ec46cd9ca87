# AMix-I (cross-view mixup on MoCo v2, Mix Block+ trained with mixup infoNCE + non-parametric BCE) pre-training on
# STL-10 (unlabeled + train, 96x96; ImageNet-style ResNet-18 stem).
_base_ = [
    '../_base_/models/amix_i_mocov2_resnet18_cifar.py',
    '../_base_/datasets/stl10_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_mix_runtime.py',
]
model = dict(backbone=dict(type='ResNet'))
