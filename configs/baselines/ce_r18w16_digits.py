# Quick-start: plain cross-entropy, quarter-width ResNet-18, embedded digits (6 known / 4 unknown, MNIST split 0).
# Trains in about a minute on 2 CPU cores and reports closed-set accuracy, AUROC and OSCR.
_base_ = [
    '../_base_/models/resnet18_cifar_w16.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
