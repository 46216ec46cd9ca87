# Asymmetric distillation on the real MNIST t10k files (70/30 partition, MNIST split 0), quarter-width ResNet-50 ->
# ResNet-18, 10 CPU epochs. Put the official t10k files in data/mnist (see docs/datasets.md); then
# `python tools/reproduce_ablation.py configs/experiments/asym_ablation_mnist_t10k.py --seeds 0`.
_base_ = [
    '../_base_/models/asym_r50w16_r18w16_cifar.py',
    '../_base_/datasets/mnist_test_files_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50w16_mnist_t10k')
train_dataloader = dict(batch_size=64)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=5))

teacher_config = 'openmixosr::baselines/ce_r50w16_mnist_t10k.py'
