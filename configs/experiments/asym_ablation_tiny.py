# The ablation of the asymmetric distillation paper (Table 6) on Tiny-ImageNet split 0, the paper's own setting (a GPU
# job: 200 epochs per row): `python tools/reproduce_ablation.py configs/experiments/asym_ablation_tiny.py`.
# Paths are relative to this file (docs/asymmetric_distillation.md, "The ablation in one command").
teacher = '../baselines/ce_r50_tiny_imagenet.py'
rows = [  # the paper's rows, in its order
    dict(name='ResNet-18 (vanilla CE)', config='../baselines/ce_r18_tiny_imagenet.py', paper_row='asym.t6.resnet18'),
    dict(name='(a) CutMix', config='../baselines/cutmix_r18_tiny_imagenet.py', paper_row='asym.t6.a'),
    dict(name='(b) CutMix + KD', config='../asym/ablation/r18_tiny_t6_b_cutmix_kd.py', paper_row='asym.t6.b'),
    dict(name='(c) + CMI', config='../asym/ablation/r18_tiny_t6_c_cmi.py', paper_row='asym.t6.c'),
    dict(name='(d) + relabel (full method)', config='../asym/r18_tiny.py', paper_row='asym.t6.d'),
]
# Ours, not the paper's: the same rows plus mixup CE on the non-confusing mixed samples (`--variants`).
variant_rows = [
    dict(name='(b) + mixup CE (ours)', config='../asym/ablation/r18_tiny_t6_b_cutmix_kd_mixup_ce.py'),
    dict(name='(c) + mixup CE (ours)', config='../asym/ablation/r18_tiny_t6_c_cmi_mixup_ce.py'),
    dict(name='(d) + mixup CE (ours)', config='../asym/ablation/r18_tiny_t6_d_relabel_mixup_ce.py'),
]
# Ours: the full method (d) with learned masks instead of CutMix, a Mix Block trained through the teacher
# (`--learned-masks`; docs/asymmetric_distillation.md, "Learned masks").
learned_mask_rows = [
    dict(name='(d) with AutoMix masks (ours)', config='../asym/r18_tiny_automix_mask.py'),
    dict(name='(d) with AMix masks (ours)', config='../asym/r18_tiny_amix_mask.py'),
]
