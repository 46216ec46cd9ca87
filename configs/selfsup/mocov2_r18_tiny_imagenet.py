# MoCo v2 pre-training on Tiny-ImageNet (64x64; CIFAR-style ResNet-18): the baseline of AMix-I / AMix-C.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_runtime.py',
]

