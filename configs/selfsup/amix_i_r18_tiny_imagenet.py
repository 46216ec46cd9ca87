# AMix-I (cross-view mixup on MoCo v2, Mix Block+ trained with mixup infoNCE + non-parametric BCE) pre-training on
# Tiny-ImageNet (64x64; CIFAR-style ResNet-18).
_base_ = [
    '../_base_/models/amix_i_mocov2_resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_mix_runtime.py',
]

