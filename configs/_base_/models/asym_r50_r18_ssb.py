# Asymmetric distillation on the Semantic Shift Benchmark with the paper's default pair (Sec. 4.1: "The default
# teacher-student pair consists of ResNet-50 and ResNet-18"): the losses of asym_r50_r18_cifar.py (the paper's Eq. 8),
# ImageNet-style networks for the 448 px images. The teacher is the CE baseline of AGC's recipe (ResNet-50 from the
# Places MoCo v2 weights; its weights come from `teacher_checkpoint`); the ResNet-18 student starts from scratch (no
# ImageNet-free ResNet-18 weights exist). Our 'Ours' rows use a ResNet-50 student instead (asym_r50_r50_places_moco.py).
_base_ = ['./asym_r50_r18_cifar.py']
model = dict(
    student=dict(backbone=dict(type='ResNet', depth=18)),
    teacher=dict(backbone=dict(type='ResNet', depth=50)),
)
