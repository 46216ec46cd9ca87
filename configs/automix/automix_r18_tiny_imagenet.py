# AUTOMIX on Tiny-ImageNet (200 classes, 64x64) with the CIFAR ResNet-18: alpha 2, l = 3, SGD lr 0.2 + cosine,
# 400 epochs.
_base_ = [
    '../_base_/models/automix_resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet.py',
    '../_base_/schedules/mix_sgd_cosine_400e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
