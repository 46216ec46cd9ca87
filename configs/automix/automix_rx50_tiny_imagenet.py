# AUTOMIX on Tiny-ImageNet (200 classes, 64x64) with the CIFAR ResNeXt-50 (32x4d): AutoMix Table 1, RX-50 (70.72).
_base_ = [
    '../_base_/models/automix_resnext50_cifar.py',
    '../_base_/datasets/tiny_imagenet.py',
    '../_base_/schedules/mix_sgd_cosine_400e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
