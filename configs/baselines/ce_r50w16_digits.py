# Quarter-width ResNet-50 with plain cross-entropy on digits: the CPU-sized distillation teacher.
_base_ = [
    '../_base_/models/resnet50_cifar_w16.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
