# The ablation of the asymmetric distillation paper (Table 6) on the real MNIST t10k files (70/30 partition, MNIST
# split 0; put the official files in data/mnist, docs/datasets.md):
# `python tools/reproduce_ablation.py configs/experiments/asym_ablation_mnist_t10k.py --seeds 0`.
# Paths are relative to this file (docs/asymmetric_distillation.md, "The ablation in one command").
teacher = '../baselines/ce_r50w16_mnist_t10k.py'
rows = [  # the paper's rows, in its order
    dict(name='ResNet-18 (vanilla CE)', config='../baselines/ce_r18w16_mnist_t10k.py', paper_row='asym.t6.resnet18'),
    dict(name='(a) CutMix', config='../baselines/cutmix_r18w16_mnist_t10k.py', paper_row='asym.t6.a'),
    dict(name='(b) CutMix + KD', config='../asym/ablation/r18w16_mnist_t10k_t6_b_cutmix_kd.py', paper_row='asym.t6.b'),
    dict(name='(c) + CMI', config='../asym/ablation/r18w16_mnist_t10k_t6_c_cmi.py', paper_row='asym.t6.c'),
    dict(name='(d) + relabel (full method)', config='../asym/r18w16_mnist_t10k.py', paper_row='asym.t6.d'),
]
# Ours, not the paper's: the same rows plus mixup CE on the non-confusing mixed samples (`--variants`).
variant_rows = [
    dict(name='(b) + mixup CE (ours)', config='../asym/ablation/r18w16_mnist_t10k_t6_b_cutmix_kd_mixup_ce.py'),
    dict(name='(c) + mixup CE (ours)', config='../asym/ablation/r18w16_mnist_t10k_t6_c_cmi_mixup_ce.py'),
    dict(name='(d) + mixup CE (ours)', config='../asym/ablation/r18w16_mnist_t10k_t6_d_relabel_mixup_ce.py'),
]
# Ours: the full method (d) with learned masks instead of CutMix, a Mix Block trained through the teacher
# (`--learned-masks`; docs/asymmetric_distillation.md, "Learned masks").
learned_mask_rows = [
    dict(name='(d) with AutoMix masks (ours)', config='../asym/r18w16_mnist_t10k_automix_mask.py'),
    dict(name='(d) with AMix masks (ours)', config='../asym/r18w16_mnist_t10k_amix_mask.py'),
]
