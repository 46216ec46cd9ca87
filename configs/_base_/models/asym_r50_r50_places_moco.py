# Asymmetric distillation on the Semantic Shift Benchmark: the losses of asym_r50_r18_cifar.py (the paper's Eq. 8),
# with ImageNet-style ResNet-50s as in AGC's recipe, which the paper follows there. The teacher is the CE baseline
# (its weights come from `teacher_checkpoint`); the student starts from the Places MoCo v2 weights the teacher started
# from (the same file as in resnet50_places_moco.py). OUR departure from the paper's Sec. 4.1 default pair (ResNet-50
# -> ResNet-18, asym_r50_r18_ssb.py): a ResNet-18 trained from scratch at 448 px is far from the printed accuracies,
# and no ImageNet-free ResNet-18 weights exist (docs).
_base_ = ['./asym_r50_r18_cifar.py']
model = dict(
    student=dict(
        backbone=dict(type='ResNet', depth=50,
                      init_cfg=dict(type='SafePretrained',
                                    checkpoint='data/pretrained/moco_v2_places365_resnet50.pth', require_all=True)),
        head=dict(in_channels=2048)),
    teacher=dict(backbone=dict(type='ResNet', depth=50)),
)
