# Asymmetric distillation on the large-scale benchmark (the paper's Table 4, 'Ours', ResNet18): ResNet-50 teacher ->
# ResNet-18 student on all 200 Tiny-ImageNet classes, tested against ImageNet-21K Easy / Hard unknown classes.
# SUBSTITUTE CLASS LISTS: the Semantic Shift Benchmark's ImageNet-21K-P lists stand in for the paper's (Ren et al.
# 2023, not available); see configs/_base_/datasets/tiny_imagenet_vs_in21k.py. The paper's OSR recipe.
# Teacher: python tools/train.py configs/baselines/ce_r50_tiny_in21k.py
_base_ = [
    '../_base_/models/asym_r50_r18_cifar.py',
    '../_base_/datasets/tiny_imagenet_vs_in21k.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50_tiny_in21k')
teacher_config = 'openmixosr::baselines/ce_r50_tiny_in21k.py'
