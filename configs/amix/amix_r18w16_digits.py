# AMIX on the embedded digits (MNIST split 0) with the quarter-width ResNet-18: runs on CPU in minutes.
_base_ = [
    '../_base_/models/amix_resnet18_cifar_w16.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
