# Asymmetric distillation, ResNet-50 teacher -> ResNet-18 student, mnist split 0 (select others with
# --cfg-options split=K; the teacher must be trained on the same split). The paper's recipe: 200 epochs, batch 32,
# SGD lr 0.1, momentum 0.9, wd 5e-4, lr x0.2 at epochs 60/120/160.
# Teacher: python tools/train.py configs/baselines/ce_r50_mnist.py
_base_ = [
    '../_base_/models/asym_r50_r18_cifar.py',
    '../_base_/datasets/mnist_osr.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50_mnist')

# The config of the teacher; model.teacher_checkpoint is the work dir of its run (its last checkpoint is loaded):
# tools/benchmark_table.py trains it per split.
teacher_config = 'openmixosr::baselines/ce_r50_mnist.py'
