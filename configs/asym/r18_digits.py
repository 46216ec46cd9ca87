# Asymmetric distillation on the embedded digits (MNIST split 0), quarter-width ResNet-50 -> ResNet-18, CPU minutes.
# The ablation of the paper (Table 6) on this data: configs/experiments/asym_ablation_digits.py.
_base_ = [
    '../_base_/models/asym_r50w16_r18w16_cifar.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50w16_digits')
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))

# The config of the teacher; model.teacher_checkpoint is the work dir of its run (its last checkpoint is loaded):
# tools/benchmark_table.py trains it per split.
teacher_config = 'openmixosr::baselines/ce_r50w16_digits.py'
