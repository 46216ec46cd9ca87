# Asymmetric distillation, ResNet-50 teacher -> ResNet-18 student, tiny_imagenet split 0 (select others with
# --cfg-options split=K; the teacher must be trained on the same split). The paper's recipe: 200 epochs, batch 32,
# SGD lr 0.1, momentum 0.9, wd 5e-4, lr x0.2 at epochs 60/120/160.
# Teacher: python tools/train.py configs/baselines/ce_r50_tiny_imagenet.py
_base_ = [
    '../_base_/models/asym_r50_r18_cifar.py',
    '../_base_/datasets/tiny_imagenet_osr.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50_tiny_imagenet/epoch_200.pth')

# Paper Table 6, for tools/reproduce_ablation.py (paths relative to this file; a GPU job: 200 epochs per row).
teacher_config = '../baselines/ce_r50_tiny_imagenet.py'
ablation_rows = [  # (name, config, paper row in openmixosr/paper_results.py)
    ('ResNet-18 (vanilla CE)', '../baselines/ce_r18_tiny_imagenet.py', 'asym.t6.resnet18'),
    ('(a) CutMix', '../baselines/cutmix_r18_tiny_imagenet.py', 'asym.t6.a'),
    ('(b) CutMix + KD', './ablation/r18_tiny_t6_b_cutmix_kd.py', 'asym.t6.b'),
    ('(c) + CMI', './ablation/r18_tiny_t6_c_cmi.py', 'asym.t6.c'),
    ('(d) + relabel (full method)', './r18_tiny.py', 'asym.t6.d'),
]
# Ours, not the paper's: the same rows plus mixup CE on the non-confusing mixed samples (`--variants`).
ablation_variant_rows = [
    ('(b) + mixup CE (ours)', './ablation/r18_tiny_t6_b_cutmix_kd_mixup_ce.py'),
    ('(c) + mixup CE (ours)', './ablation/r18_tiny_t6_c_cmi_mixup_ce.py'),
    ('(d) + mixup CE (ours)', './ablation/r18_tiny_t6_d_relabel_mixup_ce.py'),
]
# Ours: the full method (d) with learned masks instead of CutMix, a Mix Block trained through the teacher
# (`--learned-masks`; docs/asymmetric_distillation.md, "Learned masks").
ablation_learned_mask_rows = [
    ('(d) with AutoMix masks (ours)', './r18_tiny_automix_mask.py'),
    ('(d) with AMix masks (ours)', './r18_tiny_amix_mask.py'),
]
