# Asymmetric distillation on the embedded digits (MNIST split 0), quarter-width ResNet-50 -> ResNet-18, CPU minutes.
# `python tools/reproduce_ablation.py configs/asym/r18_digits.py` trains the teacher, then every row below.
_base_ = [
    '../_base_/models/asym_r50w16_r18w16_cifar.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50w16_digits/epoch_30.pth')
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))

# Paper Table 6 on this data, for tools/reproduce_ablation.py (paths relative to this file).
teacher_config = '../baselines/ce_r50w16_digits.py'
ablation_rows = [
    ('vanilla CE', '../baselines/ce_r18w16_digits.py'),
    ('+ CutMix', '../baselines/cutmix_r18w16_digits.py'),
    ('+ CutMix + KD', './ablation/r18_digits_t6_3_cutmix_kd.py'),
    ('+ CMI', './ablation/r18_digits_t6_4_cmi.py'),
    ('+ relabel', './ablation/r18_digits_t6_5_relabel.py'),
    ('full method (paper loss)', './r18_digits.py'),
]
