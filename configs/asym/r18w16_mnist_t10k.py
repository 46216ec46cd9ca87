# Asymmetric distillation on the real MNIST t10k files (70/30 partition, MNIST split 0), quarter-width ResNet-50 ->
# ResNet-18, 10 CPU epochs. Put the official t10k files in data/mnist (see docs/datasets.md); then
# `python tools/reproduce_ablation.py configs/asym/r18w16_mnist_t10k.py --seeds 0`.
_base_ = [
    '../_base_/models/asym_r50w16_r18w16_cifar.py',
    '../_base_/datasets/mnist_test_files_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50w16_mnist_t10k/epoch_10.pth')
train_dataloader = dict(batch_size=64)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=5))

teacher_config = '../baselines/ce_r50w16_mnist_t10k.py'
ablation_rows = [  # (name, config, paper row in openmixosr/paper_results.py)
    ('ResNet-18 (vanilla CE)', '../baselines/ce_r18w16_mnist_t10k.py', 'asym.t6.resnet18'),
    ('(a) CutMix', '../baselines/cutmix_r18w16_mnist_t10k.py', 'asym.t6.a'),
    ('(b) CutMix + KD', './ablation/r18w16_mnist_t10k_t6_b_cutmix_kd.py', 'asym.t6.b'),
    ('(c) + CMI', './ablation/r18w16_mnist_t10k_t6_c_cmi.py', 'asym.t6.c'),
    ('(d) + relabel (full method)', './r18w16_mnist_t10k.py', 'asym.t6.d'),
]
# Ours, not the paper's: the same rows plus mixup CE on the non-confusing mixed samples (`--variants`).
ablation_variant_rows = [
    ('(b) + mixup CE (ours)', './ablation/r18w16_mnist_t10k_t6_b_cutmix_kd_mixup_ce.py'),
    ('(c) + mixup CE (ours)', './ablation/r18w16_mnist_t10k_t6_c_cmi_mixup_ce.py'),
    ('(d) + mixup CE (ours)', './ablation/r18w16_mnist_t10k_t6_d_relabel_mixup_ce.py'),
]
# Ours: the full method (d) with learned masks instead of CutMix, a Mix Block trained through the teacher
# (`--learned-masks`; docs/asymmetric_distillation.md, "Learned masks").
ablation_learned_mask_rows = [
    ('(d) with AutoMix masks (ours)', './r18w16_mnist_t10k_automix_mask.py'),
    ('(d) with AMix masks (ours)', './r18w16_mnist_t10k_amix_mask.py'),
]
