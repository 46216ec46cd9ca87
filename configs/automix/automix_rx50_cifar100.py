# AUTOMIX on CIFAR-100 with the CIFAR ResNeXt-50 (32x4d): alpha 2, l = 3, SGD + cosine, 800 epochs, batch 100.
_base_ = [
    '../_base_/models/automix_resnext50_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/mix_sgd_cosine_800e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
