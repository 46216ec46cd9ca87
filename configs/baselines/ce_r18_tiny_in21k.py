# Plain cross-entropy on all 200 Tiny-ImageNet classes, tested against ImageNet-21K Easy / Hard unknown classes (SSB
# lists, a substitute for the paper's; configs/_base_/datasets/tiny_imagenet_vs_in21k.py): the vanilla CE row beside
# configs/asym/r18_tiny_in21k.py. The paper's OSR recipe (200 epochs, batch 32, SGD lr 0.1).
_base_ = [
    '../_base_/models/resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet_vs_in21k.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
