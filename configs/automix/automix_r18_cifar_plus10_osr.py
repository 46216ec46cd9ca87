# AUTOMIX as a mixed-sample augmentation on an open-set benchmark, trained with the open-set recipe
# (200 epochs, batch 32, SGD 0.1, x0.2 at 60/120/160) so it compares with the CE / CutMix / MixUp baselines.
_base_ = [
    '../_base_/models/automix_resnet18_cifar.py',
    '../_base_/datasets/cifar_plus10_osr.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
