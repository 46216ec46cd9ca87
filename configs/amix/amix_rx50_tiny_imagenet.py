# AMIX on Tiny-ImageNet (200 classes, 64x64) with the CIFAR ResNeXt-50 (32x4d): AMix Table 3, RX-50 column (72.12).
_base_ = [
    '../_base_/models/amix_resnext50_cifar.py',
    '../_base_/datasets/tiny_imagenet.py',
    '../_base_/schedules/mix_sgd_cosine_400e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
