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
ablation_rows = [  # (name, config, paper row in openmixosr/paper_results.py)
    ('ResNet-18 (vanilla CE)', '../baselines/ce_r18w16_digits.py', 'asym.t6.resnet18'),
    ('(a) CutMix', '../baselines/cutmix_r18w16_digits.py', 'asym.t6.a'),
    ('(b) CutMix + KD', './ablation/r18_digits_t6_b_cutmix_kd.py', 'asym.t6.b'),
    ('(c) + CMI', './ablation/r18_digits_t6_c_cmi.py', 'asym.t6.c'),
    ('(d) + relabel (full method)', './r18_digits.py', 'asym.t6.d'),
]
# Ours, not the paper's: the same rows plus mixup CE on the non-confusing mixed samples (`--variants`).
ablation_variant_rows = [
    ('(b) + mixup CE (ours)', './ablation/r18_digits_t6_b_cutmix_kd_mixup_ce.py'),
    ('(c) + mixup CE (ours)', './ablation/r18_digits_t6_c_cmi_mixup_ce.py'),
    ('(d) + mixup CE (ours)', './ablation/r18_digits_t6_d_relabel_mixup_ce.py'),
]
# Ours: the full method (d) with learned masks instead of CutMix, a Mix Block trained through the teacher
# (`--learned-masks`; docs/asymmetric_distillation.md, "Learned masks").
ablation_learned_mask_rows = [
    ('(d) with AutoMix masks (ours)', './r18_digits_automix_mask.py'),
    ('(d) with AMix masks (ours)', './r18_digits_amix_mask.py'),
]
