# Plain cross-entropy on the known classes (the "vanilla" row; the R-50 run is the distillation teacher).
_base_ = [
    '../_base_/models/resnet50_cifar.py',
    '../_base_/datasets/tiny_imagenet_osr.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
