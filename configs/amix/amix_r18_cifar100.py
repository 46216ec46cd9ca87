# AMIX the paper's way: CIFAR ResNet-18 on CIFAR-100, alpha 2, l = 3, SGD + cosine, 800 epochs, batch 100.
_base_ = [
    '../_base_/models/amix_resnet18_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/mix_sgd_cosine_800e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
